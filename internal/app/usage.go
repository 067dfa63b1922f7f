package app

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/report"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// usageError is a command line omdeploy cannot read. Run shows it, with
// the command's usage line, before any view exists; it is a config
// failure (exit 2) whose fix names the nearest command or flag.
type usageError struct {
	command string // "" for the root
	usage   string // "omdeploy deploy [options]"
	err     error
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// newUsageError wraps err as the usage failure of cmd (nil: the root),
// suggesting the nearest of candidates to typed when one is close.
func newUsageError(cmd *cli.Command, typed string, candidates []string, err error) error {
	ue := &usageError{usage: usageLine(cmd), err: err}
	help := "omdeploy --help"
	if cmd != nil {
		ue.command = cmd.Name
		help = "omdeploy " + cmd.Name + " --help"
	}
	fix := "Run `" + help + "` for what it takes."
	if near := nearest(typed, candidates); len(near) > 0 {
		fix = "Did you mean " + strings.Join(near, " or ") + "? " + fix
	}
	return &failure.Error{Stage: failure.StageConfig, RunbookID: runbook.CLIUsage, Fix: fix, Err: ue}
}

func usageLine(cmd *cli.Command) string {
	if cmd == nil {
		return "omdeploy [global options] COMMAND [options]"
	}
	line := "omdeploy " + cmd.Name + " [options]"
	if cmd.ArgsUsage != "" {
		line += " " + cmd.ArgsUsage
	}
	return line
}

// onUsageError turns urfave's flag errors ("flag provided but not
// defined: -x", a value it cannot parse) into usage failures.
func onUsageError(c *cli.Context, err error, _ bool) error {
	cmd := c.Command
	if len(c.Lineage()) < 3 {
		cmd = nil // the root's own flags, before any command name
	}
	flags := c.App.Flags
	if cmd != nil {
		flags = cmd.Flags
	}
	if name, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: "); ok {
		name = "--" + strings.TrimLeft(name, "-")
		where := "omdeploy"
		if cmd != nil {
			where += " " + cmd.Name
		}
		return newUsageError(cmd, name, flagWords(flags), fmt.Errorf("unknown flag %s for `%s`", name, where))
	}
	return newUsageError(cmd, "", nil, err)
}

// unknownCommand is the root's action: it runs only when the first word
// is not a command.
func unknownCommand(c *cli.Context) error {
	if c.NArg() == 0 {
		return cli.ShowAppHelp(c)
	}
	name := c.Args().First()
	var names []string
	for _, cmd := range c.App.VisibleCommands() {
		names = append(names, cmd.Name)
	}
	return newUsageError(nil, name, names, fmt.Errorf("unknown command %q", name))
}

// showUsageError writes a usage failure: on stderr what happened, the
// likely cause, the fix and the usage line; with --output json also the
// run's one document on stdout.
func showUsageError(s *iostreams.IO, args []string, ue *usageError, err error) {
	fix := ""
	if fes := failure.All(err); len(fes) > 0 {
		fix = fes[0].Fix
	}
	r := report.New(report.Options{IO: s, Output: report.OutputText})
	// No stage label: "config" would send the reader to the config file.
	r.Report(event.Failure{Message: ue.Error(), RunbookID: runbook.CLIUsage, Fix: fix})
	r.Close()
	fmt.Fprintf(s.Err, "usage: %s\n", ue.usage)
	if outputFromArgs(args, os.LookupEnv) != report.OutputJSON {
		return
	}
	doc := result.New(ue.command, err, 0)
	doc.Error = "usage: " + ue.Error()
	enc := json.NewEncoder(s.Out)
	enc.SetIndent("", "  ")
	_ = enc.Encode(doc) // stdout closed: nowhere better to say so
}

// outputFromArgs finds --output in a command line urfave could not parse
// (the last one given before "--", else OMDEPLOY_OUTPUT), so a usage
// failure still honours -o json.
func outputFromArgs(args []string, env func(string) (string, bool)) string {
	out, _ := env("OMDEPLOY_OUTPUT")
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			break
		}
		for _, name := range []string{"-o", "--output", "-output"} {
			switch {
			case a == name && i+1 < len(args):
				out = args[i+1]
			case strings.HasPrefix(a, name+"="):
				out = strings.TrimPrefix(a, name+"=")
			}
		}
	}
	return out
}

// nearest are the candidates closest to typed by edit distance (Damerau:
// a swap of two letters is one edit), if any is close enough to be what
// was meant, or that typed is a prefix of.
func nearest(typed string, candidates []string) []string {
	if typed == "" {
		return nil
	}
	bare := strings.TrimLeft(typed, "-")
	limit := max(1, len(bare)/3)
	best, out := limit+1, []string(nil)
	for _, c := range candidates {
		d := editDistance(bare, strings.TrimLeft(c, "-"))
		if strings.HasPrefix(strings.TrimLeft(c, "-"), bare) && len(bare) >= 2 {
			d = min(d, 1)
		}
		switch {
		case d < best:
			best, out = d, []string{c}
		case d == best && !slices.Contains(out, c):
			out = append(out, c)
		}
	}
	if len(out) > 3 {
		return nil // too many to be a suggestion
	}
	return out
}

// editDistance is the optimal-string-alignment distance between a and b:
// insertions, deletions, substitutions and swaps of adjacent letters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}
