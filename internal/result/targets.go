package result

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TargetGroupHealth is the load balancer's view of a rollout's new tasks in
// one target group, as last seen while the rollout was in progress.
type TargetGroupHealth struct {
	// TargetGroup is the target group's ARN.
	TargetGroup string `json:"target_group"`
	// Name is the target group's name, for views.
	Name string `json:"target_group_name"`
	// Total counts the new tasks' targets, Healthy those the load
	// balancer finds healthy.
	Total   int `json:"total"`
	Healthy int `json:"healthy"`
	// Problems count the new targets that are not healthy, by ELBv2's
	// reason code and description, in the order first seen.
	Problems []TargetProblem `json:"problems,omitempty"`
	// Draining counts the old targets still draining; the deregistration
	// delay is how long each may drain (0: not read).
	Draining                   int `json:"draining,omitempty"`
	DeregistrationDelaySeconds int `json:"deregistration_delay_seconds,omitempty"`
}

// TargetProblem is how many targets share one reason and description,
// e.g. Target.ResponseCodeMismatch "Health checks failed with these
// codes: [404]".
type TargetProblem struct {
	Reason      string `json:"reason"` // the reason code, or the state when ELBv2 gives none
	Description string `json:"description,omitempty"`
	Count       int    `json:"count"`
}

// Text is the progress line every view shows: "2/3 targets healthy; 1
// Target.ResponseCodeMismatch: health checks failed with these codes:
// [404]; 2 old targets draining (deregistration delay 300 s)".
func (h TargetGroupHealth) Text() string {
	parts := []string{fmt.Sprintf("%d/%d targets healthy", h.Healthy, h.Total)}
	for _, p := range h.Problems {
		s := fmt.Sprintf("%d %s", p.Count, p.Reason)
		if p.Description != "" {
			s += ": " + lowerFirst(p.Description)
		}
		parts = append(parts, s)
	}
	if h.Draining > 0 {
		s := fmt.Sprintf("%d old target%s draining", h.Draining, map[bool]string{true: "s"}[h.Draining > 1])
		if h.DeregistrationDelaySeconds > 0 {
			s += fmt.Sprintf(" (deregistration delay %d s)", h.DeregistrationDelaySeconds)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

// lowerFirst lowercases ELBv2's sentence-case description so it reads as
// part of the line.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}
