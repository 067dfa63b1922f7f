package report

import (
	"io"
	"os"

	"golang.org/x/term"
)

// defaultWidth is used when the terminal does not say how wide it is.
const defaultWidth = 80

// ProgressFor picks how progress is shown: slog records for --log-format
// json; on a terminal the live view, unless colour and redrawing are
// unwanted (--no-color, NO_COLOR set to anything, TERM=dumb); plain lines
// otherwise (CI logs, pipes, files). lookup reads the environment
// (os.LookupEnv in production).
func ProgressFor(logJSON, terminal, noColor bool, lookup func(string) (string, bool)) Progress {
	noColorEnv, _ := lookup("NO_COLOR")
	termName, _ := lookup("TERM")
	switch {
	case logJSON:
		return ProgressJSON
	case terminal && !noColor && noColorEnv == "" && termName != "dumb":
		return ProgressLive
	}
	return ProgressPlain
}

// Terminal reports whether w is a terminal and, if it is, a function that
// returns its current width in columns (it follows resizes).
func Terminal(w io.Writer) (width func() int, ok bool) {
	f, isFile := w.(*os.File)
	if !isFile || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	fd := int(f.Fd())
	return func() int {
		cols, _, err := term.GetSize(fd)
		if err != nil || cols <= 0 {
			return defaultWidth
		}
		return cols
	}, true
}
