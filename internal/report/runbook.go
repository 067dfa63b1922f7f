package report

import (
	"fmt"
	"strings"

	"github.com/omdeploy/omdeploy/internal/lazyre"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// RunbookEntries converts entries for the runbook section of the JSON
// document.
func RunbookEntries(entries []runbook.Entry) []result.RunbookEntry {
	out := make([]result.RunbookEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, result.RunbookEntry{ID: e.ID, Title: e.Title, Symptom: e.Symptom, Diagnosis: e.Diagnosis, Fix: e.Fix})
	}
	return out
}

// RunbookText renders entries for a terminal, wrapped to width columns.
func RunbookText(entries []runbook.Entry, width int) string {
	var b strings.Builder
	for i, e := range entries {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s — %s\n", e.ID, e.Title)
		for _, part := range []struct{ name, text string }{
			{"Symptom", e.Symptom}, {"Likely cause", e.Diagnosis}, {"Fix", e.Fix},
		} {
			fmt.Fprintf(&b, "  %s:\n%s", part.name, wrap(part.text, width, "    "))
		}
	}
	return b.String()
}

// RunbookMarkdown renders entries as docs/RUNBOOK.md. The output depends
// only on entries, so the file can be checked for staleness.
func RunbookMarkdown(entries []runbook.Entry) string {
	var b strings.Builder
	b.WriteString("# omdeploy runbook\n\n")
	b.WriteString("<!-- Generated from internal/runbook by `make docs`. Edit the entries there, not this file. -->\n\n")
	b.WriteString("Every failure class omdeploy detects: what you see, the likely cause, and the fix. " +
		"When omdeploy meets one it prints the same cause and fix with the entry's ID, and " +
		"`omdeploy runbook ID` shows the entry in the terminal.\n\n")
	b.WriteString("| ID | Failure |\n|---|---|\n")
	for _, e := range entries {
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s |\n", e.ID, slug(e.ID), cell(mdText(e.Title)))
	}
	area := ""
	for _, e := range entries {
		if a, _, _ := strings.Cut(e.ID, "."); a != area {
			area = a
			fmt.Fprintf(&b, "\n## %s\n", area)
		}
		fmt.Fprintf(&b, "\n### %s\n\n**%s**\n\n", e.ID, mdText(e.Title))
		fmt.Fprintf(&b, "**Symptom.** %s\n\n", mdText(e.Symptom))
		fmt.Fprintf(&b, "**Likely cause.** %s\n\n", mdText(e.Diagnosis))
		fmt.Fprintf(&b, "**Fix.**\n\n%s\n", mdText(e.Fix))
	}
	return b.String()
}

var slugDrop = lazyre.New(`[^a-z0-9 _-]`)

// slug is GitHub's anchor for a heading.
func slug(heading string) string {
	return strings.ReplaceAll(slugDrop().ReplaceAllString(strings.ToLower(heading), ""), " ", "-")
}

// mdText escapes what markdown would swallow outside code spans: an
// <angle> placeholder reads as an HTML tag.
func mdText(s string) string {
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 { // even parts are outside code spans
		parts[i] = strings.NewReplacer("<", "&lt;", ">", "&gt;").Replace(parts[i])
	}
	return strings.Join(parts, "`")
}

// wrap breaks each line of text at spaces to fit width, indenting every
// line with pad. A continued line keeps its own indentation and that of a
// list marker ("1. "), so numbered steps stay aligned.
func wrap(text string, width int, pad string) string {
	var b strings.Builder
	for _, line := range strings.Split(text, "\n") {
		lead := len(line) - len(strings.TrimLeft(line, " "))
		hang := strings.Repeat(" ", lead+listMarker(line[lead:]))
		words := strings.Fields(line)
		cur := pad + line[:lead]
		empty := true
		for _, w := range words {
			if !empty && len([]rune(cur))+1+len([]rune(w)) > width {
				b.WriteString(cur + "\n")
				cur, empty = pad+hang, true
			}
			if !empty {
				cur += " "
			}
			cur += w
			empty = false
		}
		b.WriteString(strings.TrimRight(cur, " ") + "\n")
	}
	return b.String()
}

var listMarkerRE = lazyre.New(`^(\d+\.|[-*]) `)

// listMarker is the width of a list marker at the start of s, or 0.
func listMarker(s string) int {
	return len(listMarkerRE().FindString(s))
}
