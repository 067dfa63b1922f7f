package notify

import (
	"fmt"
	"slices"
	"strings"

	"github.com/omdeploy/omdeploy/config"
)

// Payload is the JSON a `webhook:` target receives, and what a Slack
// message is written from. Fields are added, never renamed: receivers
// parse it.
type Payload struct {
	Event    string           `json:"event"`             // start, success, failure or rollback
	Status   string           `json:"status"`            // started, succeeded, failed or rolling_back
	Run      RunInfo          `json:"run"`               // this run: its ID and, in CI, its page
	Service  string           `json:"service,omitempty"` // the service a rollback event is about
	Services []ServicePayload `json:"services"`          // every service of the run, in config order
	Who      string           `json:"who"`               // GITHUB_ACTOR, else USER@hostname
	Where    Where            `json:"where"`
	What     What             `json:"what"`
	Diff     string           `json:"diff,omitempty"`   // what changes, one line per service, when known
	CIURL    string           `json:"ci_url,omitempty"` // the CI run's page
	Stage    string           `json:"stage,omitempty"`  // at the end: the stage reached, "done" on success
	ExitCode *int             `json:"exit_code,omitempty"`
	Error    string           `json:"error,omitempty"`    // at a failed end: why, as the CLI says it
	Rollback *Change          `json:"rollback,omitempty"` // at a rollback: task definition from → to
}

// RunInfo identifies the run.
type RunInfo struct {
	ID  string `json:"id"`
	URL string `json:"url,omitempty"`
}

// Where the deploy goes.
type Where struct {
	Account  string   `json:"account,omitempty"`
	Region   string   `json:"region"`
	Cluster  string   `json:"cluster,omitempty"` // set when every service is in one cluster
	Clusters []string `json:"clusters"`
}

// What is deployed: the requested image or tag; per-service revisions are
// in services[].
type What struct {
	Image string `json:"image,omitempty"`
	Tag   string `json:"tag,omitempty"`
}

// Change is an old → new pair.
type Change struct {
	Old string `json:"old,omitempty"`
	New string `json:"new,omitempty"`
}

// ServicePayload is one service and what the run did to it so far.
type ServicePayload struct {
	Name           string  `json:"name"`
	Cluster        string  `json:"cluster"`
	Service        string  `json:"service"`
	Image          *Change `json:"image,omitempty"`
	TaskDefinition *Change `json:"task_definition,omitempty"`
	Status         string  `json:"status,omitempty"` // at the end: succeeded or failed
	Stage          string  `json:"stage,omitempty"`
}

var statusOf = map[string]string{
	config.NotifyStart:    "started",
	config.NotifySuccess:  "succeeded",
	config.NotifyFailure:  "failed",
	config.NotifyRollback: "rolling_back",
}

// payload is moment's payload from the run and the state so far; the
// caller holds n.mu.
func (n *Notifier) payload(moment, service string) Payload {
	r := n.opts.Run
	p := Payload{
		Event: moment, Status: statusOf[moment], Service: service,
		Run: RunInfo{ID: r.Actor.RunID, URL: r.Actor.RunURL}, CIURL: r.Actor.RunURL,
		Who:      r.Actor.Who,
		Where:    Where{Account: r.Account, Region: r.Region, Clusters: []string{}},
		What:     What{Image: r.Image, Tag: r.Tag},
		Services: []ServicePayload{},
	}
	var diff []string
	for _, s := range r.Services {
		sp := ServicePayload{Name: s.Name, Cluster: s.Cluster, Service: s.Service}
		if !slices.Contains(p.Where.Clusters, s.Cluster) {
			p.Where.Clusters = append(p.Where.Clusters, s.Cluster)
		}
		if st := n.services[s.Name]; st != nil {
			if st.OldImage != "" || st.NewImage != "" {
				sp.Image = &Change{Old: st.OldImage, New: st.NewImage}
				if st.OldImage != st.NewImage {
					diff = append(diff, fmt.Sprintf("%s: image %s → %s", s.Name, st.OldImage, st.NewImage))
				}
			}
			if st.OldTaskDef != "" || st.NewTaskDef != "" {
				sp.TaskDefinition = &Change{Old: st.OldTaskDef, New: st.NewTaskDef}
			}
			if st.Finished {
				sp.Status, sp.Stage = "failed", string(st.Stage)
				if st.OK {
					sp.Status = "succeeded"
				}
			}
		}
		p.Services = append(p.Services, sp)
	}
	if len(p.Where.Clusters) == 1 {
		p.Where.Cluster = p.Where.Clusters[0]
	}
	p.Diff = strings.Join(diff, "\n")
	return p
}

// slackMessage is the Slack incoming-webhook body: text for
// notifications and clients without blocks, blocks for the channel.
func slackMessage(p Payload) map[string]any {
	icon := map[string]string{"started": ":rocket:", "succeeded": ":white_check_mark:", "failed": ":x:", "rolling_back": ":rewind:"}[p.Status]
	names := make([]string, 0, len(p.Services))
	for _, s := range p.Services {
		names = append(names, s.Name)
	}
	subject := strings.Join(names, ", ")
	if p.Service != "" {
		subject = p.Service
	}
	headline := fmt.Sprintf("%s omdeploy: deploy of %s %s", icon, subject, strings.ReplaceAll(p.Status, "_", " "))
	if p.Rollback != nil {
		headline += fmt.Sprintf(" (%s → %s)", p.Rollback.Old, p.Rollback.New)
	}
	if p.ExitCode != nil && *p.ExitCode != 0 {
		headline += fmt.Sprintf(" at %s (exit %d)", p.Stage, *p.ExitCode)
	}
	var detail []string
	where := p.Where.Region
	if p.Where.Cluster != "" {
		where = p.Where.Cluster + " in " + where
	}
	if p.Where.Account != "" {
		where += " (account " + p.Where.Account + ")"
	}
	detail = append(detail, "*Where:* "+where)
	switch {
	case p.What.Image != "":
		detail = append(detail, "*Image:* `"+p.What.Image+"`")
	case p.What.Tag != "":
		detail = append(detail, "*Tag:* `"+p.What.Tag+"`")
	}
	for _, s := range p.Services {
		if s.TaskDefinition != nil && s.TaskDefinition.New != "" && s.TaskDefinition.New != s.TaskDefinition.Old {
			detail = append(detail, fmt.Sprintf("*%s:* `%s` → `%s`", s.Name, shortTaskDef(s.TaskDefinition.Old), shortTaskDef(s.TaskDefinition.New)))
		}
	}
	if p.Diff != "" {
		detail = append(detail, "```"+p.Diff+"```")
	}
	by := "*By:* " + p.Who
	if p.CIURL != "" {
		by += " · <" + p.CIURL + "|CI run>"
	}
	return map[string]any{
		"text": headline,
		"blocks": []any{
			map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": headline + "\n" + strings.Join(detail, "\n")}},
			map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": by}}},
		},
	}
}

// shortTaskDef is "family:revision" of a task definition ARN.
func shortTaskDef(arn string) string {
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
