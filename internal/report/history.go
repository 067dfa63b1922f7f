package report

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/result"
)

// historyTime is how the history table writes a moment: UTC to the second,
// the same in every terminal and log.
const historyTime = "2006-01-02 15:04:05"

// HistoryText is `omdeploy history`'s text: per service, a table of its
// recent deployments, newest first — started, finished, status, the task
// definitions it moved from and to (family:revision), and why it ended as
// it did. Columns are padded by terminal cells, so wide names stay aligned.
func HistoryText(history []result.ServiceHistory) string {
	var b strings.Builder
	for i, h := range history {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s (%s/%s)\n", h.Name, h.Cluster, h.Service)
		if len(h.Deployments) == 0 {
			b.WriteString("  no deployments found\n")
			continue
		}
		rows := [][]string{{"STARTED", "FINISHED", "STATUS", "REVISION", "REASON"}}
		for _, e := range h.Deployments {
			finished := "-"
			if e.FinishedAt != nil {
				finished = e.FinishedAt.UTC().Format(historyTime)
			}
			reason := e.Reason
			if len(e.TriggeredAlarms) > 0 {
				reason = strings.TrimSpace(reason + " (alarms fired: " + strings.Join(e.TriggeredAlarms, ", ") + ")")
			}
			rows = append(rows, []string{e.StartedAt.UTC().Format(historyTime), finished, e.Status, revisionChange(e), reason})
		}
		writeTable(&b, "  ", rows)
	}
	return b.String()
}

// revisionChange is "family:3 → family:7"; a side not known is "?", and a
// service's first deployment has no source.
func revisionChange(e result.HistoryEntry) string {
	to := orQuestion(familyRevision(e.TargetTaskDefinition))
	if e.SourceTaskDefinition == "" {
		return to
	}
	return familyRevision(e.SourceTaskDefinition) + " → " + to
}

// familyRevision is the family:revision part of a task definition's ARN.
func familyRevision(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

func orQuestion(s string) string {
	if s == "" {
		return "?"
	}
	return s
}

// writeTable writes rows with each column but the last padded to its
// widest cell, in terminal cells.
func writeTable(b *strings.Builder, indent string, rows [][]string) {
	widths := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r[:len(r)-1] {
			widths[i] = max(widths[i], iostreams.Cells(c))
		}
	}
	for _, r := range rows {
		var line strings.Builder
		line.WriteString(indent)
		for i, c := range r[:len(r)-1] {
			line.WriteString(iostreams.PadRight(c, widths[i]))
			line.WriteString("  ")
		}
		line.WriteString(r[len(r)-1])
		b.WriteString(strings.TrimRight(line.String(), " "))
		b.WriteString("\n")
	}
}
