package app

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionFlag is the flag the shell scripts pass to ask for the words
// that fit a command line. urfave/cli's own handling runs the command's
// action when the flag follows "--" (it is then an argument, not a flag),
// so a TAB could deploy; Run answers completions itself, before urfave
// parses anything.
const completionFlag = "--generate-bash-completion"

// completionRequest reports whether args (without the program name) ask
// for completions, wherever the flag is, and returns them without it.
func completionRequest(args []string) ([]string, bool) {
	if !slices.Contains(args, completionFlag) {
		return args, false
	}
	return slices.DeleteFunc(slices.Clone(args), func(a string) bool { return a == completionFlag }), true
}

// complete writes the words that may replace the last of args, the word
// being completed (the scripts always pass it, "" included): the commands,
// or the flags of the command named in args when the word starts with "-".
// After a "--" nothing completes: what follows is not omdeploy's to know,
// and the shell falls back to file names. With zsh (0=zsh in the
// environment) a command carries its usage as a description.
func complete(w io.Writer, a *cli.App, args []string, zsh bool) {
	cur := ""
	if n := len(args); n > 0 {
		cur, args = args[n-1], args[:n-1]
	}
	if slices.Contains(args, "--") {
		return
	}
	cmd := commandIn(a, args)
	if strings.HasPrefix(cur, "-") {
		flags := a.Flags
		if cmd != nil {
			flags = cmd.Flags
		}
		for _, name := range flagWords(flags) {
			if strings.HasPrefix(name, cur) {
				fmt.Fprintln(w, name)
			}
		}
		return
	}
	if cmd != nil {
		return
	}
	for _, c := range a.VisibleCommands() {
		if !strings.HasPrefix(c.Name, cur) {
			continue
		}
		if zsh {
			fmt.Fprintf(w, "%s:%s\n", c.Name, c.Usage)
		} else {
			fmt.Fprintln(w, c.Name)
		}
	}
}

// commandIn finds the command named in args: the first word that is
// neither a flag nor the value of a global flag that takes one.
func commandIn(a *cli.App, args []string) *cli.Command {
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if !strings.HasPrefix(arg, "-") {
			return a.Command(arg)
		}
		if name := strings.TrimLeft(arg, "-"); !strings.Contains(name, "=") && takesValue(a.Flags, name) {
			i++ // skip the flag's value
		}
	}
	return nil
}

// takesValue reports whether the flag called name (or with that alias)
// among flags needs a value.
func takesValue(flags []cli.Flag, name string) bool {
	for _, f := range flags {
		if slices.Contains(f.Names(), name) {
			if dv, ok := f.(cli.DocGenerationFlag); ok {
				return dv.TakesValue()
			}
		}
	}
	return false
}

// flagWords are the visible flags' names as typed: --long and -s.
func flagWords(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		if vf, ok := f.(cli.VisibleFlag); ok && !vf.IsVisible() {
			continue
		}
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}
