package report

import (
	"errors"
	"fmt"
	"os"

	"github.com/omdeploy/omdeploy/internal/result"

	"github.com/omdeploy/omdeploy/internal/event"
)

// GitHub says whether the run is a GitHub Actions step and where the runner
// wants the step summary and the outputs.
type GitHub struct {
	Enabled     bool   // GITHUB_ACTIONS=true
	SummaryPath string // $GITHUB_STEP_SUMMARY; empty: no summary
	OutputPath  string // $GITHUB_OUTPUT; empty: no outputs
}

// GitHubFromEnv reads the runner's variables through lookup (os.LookupEnv
// in production).
func GitHubFromEnv(lookup func(string) (string, bool)) GitHub {
	get := func(k string) string { v, _ := lookup(k); return v }
	if get("GITHUB_ACTIONS") != "true" {
		return GitHub{}
	}
	return GitHub{Enabled: true, SummaryPath: get("GITHUB_STEP_SUMMARY"), OutputPath: get("GITHUB_OUTPUT")}
}

// write appends the step summary and the outputs of a finished run.
func (g GitHub) write(doc result.Document, failures []event.Failure, cat catalogue) error {
	var errs []error
	if g.SummaryPath != "" {
		errs = append(errs, appendFile(g.SummaryPath, stepSummary(doc, failures, cat), "step summary"))
	}
	if g.OutputPath != "" {
		errs = append(errs, appendFile(g.OutputPath, outputs(doc), "step outputs"))
	}
	return errors.Join(errs...)
}

// appendFile appends text to path: the runner may have written to these
// files in earlier steps of the job, and other tools in the same step.
func appendFile(path, text, what string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("write github %s: %w", what, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write github %s: %w", what, cerr)
		}
	}()
	if _, err := f.WriteString(text); err != nil {
		return fmt.Errorf("write github %s: %w", what, err)
	}
	return nil
}
