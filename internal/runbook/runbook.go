// Package runbook is the catalogue of failure classes omdeploy detects. It is
// the single source of every printed cause and fix, of `omdeploy runbook`, and
// of docs/RUNBOOK.md, so the three can never disagree.
package runbook

import (
	"sort"
	"strings"
)

// Entry is one failure class. Fix may hold {placeholders} that FixWith fills
// with the specifics of one failure (a profile, a file, a parameter).
type Entry struct {
	ID        string // stable, dotted: "<area>.<failure>"
	Title     string
	Symptom   string // what the operator sees
	Diagnosis string // the likely cause
	Fix       string // what to do, in order
}

// FixWith fills the entry's {placeholders} from vars, leaving unknown ones
// visible so a missing value is noticed rather than silently dropped.
func (e Entry) FixWith(vars map[string]string) string {
	if len(vars) == 0 {
		return e.Fix
	}
	pairs := make([]string, 0, 2*len(vars))
	for k, v := range vars {
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(e.Fix)
}

// catalogue is built once from the per-area lists; it is never mutated.
var catalogue = func() map[string]Entry {
	m := map[string]Entry{}
	for _, list := range [][]Entry{credentialEntries, preflightEntries, artifactEntries, lbEntries, rolloutEntries, releaseEntries, healthEntries, operatorEntries, lockEntries} {
		for _, e := range list {
			if _, dup := m[e.ID]; dup {
				panic("runbook: duplicate entry " + e.ID)
			}
			m[e.ID] = e
		}
	}
	return m
}()

// Lookup returns the entry with id.
func Lookup(id string) (Entry, bool) {
	e, ok := catalogue[id]
	return e, ok
}

// Fix returns the fix of id with vars filled in, or "" for an unknown id.
func Fix(id string, vars map[string]string) string {
	e, ok := catalogue[id]
	if !ok {
		return ""
	}
	return e.FixWith(vars)
}

// All returns every entry ordered by ID.
func All() []Entry {
	out := make([]Entry, 0, len(catalogue))
	for _, e := range catalogue {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}
