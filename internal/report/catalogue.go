package report

import "github.com/omdeploy/omdeploy/internal/runbook"

// catalogue finds runbook entries: runbook.Lookup in production. Tests use
// a fixed one so golden files do not change with the runbook's wording.
type catalogue func(id string) (runbook.Entry, bool)

func (c catalogue) entry(id string) (runbook.Entry, bool) {
	if id == "" {
		return runbook.Entry{}, false
	}
	return c(id)
}

// fix prefers the fix specific to one failure (with its placeholders
// filled) over the runbook's generic one.
func (c catalogue) fix(id, specific string) string {
	if specific != "" {
		return specific
	}
	e, ok := c.entry(id)
	if !ok {
		return ""
	}
	return e.Fix
}
