// Package iostreams is a run's one view of where its output goes: stdout
// and stderr, whether each is a terminal, how wide it is in display cells,
// and whether colour and redrawing in place are wanted. The CLI builds it
// once from the process's streams and environment; renderers and commands
// receive it, and tests build one over buffers with Test.
package iostreams

import (
	"io"
	"os"

	"golang.org/x/term"
)

// DefaultWidth is the width assumed when a stream is not a terminal or
// the terminal does not say.
const DefaultWidth = 80

// IO is the run's output streams and what is known about them.
type IO struct {
	Out io.Writer // the result: text or the JSON document
	Err io.Writer // progress, logs, failures

	OutTTY bool
	ErrTTY bool
	// Color says colours and a view redrawn in place are wanted on Err: it
	// is a terminal, NO_COLOR is unset or empty, TERM is not dumb, and the
	// user did not ask for none (DisableColor).
	Color bool

	outWidth, errWidth func() int
}

// System describes the process's streams; lookup reads the environment
// (os.LookupEnv).
func System(out, err io.Writer, lookup func(string) (string, bool)) *IO {
	s := &IO{Out: out, Err: err}
	s.outWidth, s.OutTTY = terminalWidth(out)
	s.errWidth, s.ErrTTY = terminalWidth(err)
	noColor, _ := lookup("NO_COLOR")
	termName, _ := lookup("TERM")
	s.Color = s.ErrTTY && noColor == "" && termName != "dumb"
	return s
}

// Test is IO over buffers: no terminal, DefaultWidth cells, no colour.
func Test(out, err io.Writer) *IO {
	return &IO{Out: out, Err: err}
}

// TestTerminal is IO whose streams act as a colour terminal of width cells,
// for tests of the live view.
func TestTerminal(out, err io.Writer, width func() int) *IO {
	return &IO{Out: out, Err: err, OutTTY: true, ErrTTY: true, Color: true, outWidth: width, errWidth: width}
}

// DisableColor turns colours and redrawing off (--no-color).
func (s *IO) DisableColor() { s.Color = false }

// OutWidth is stdout's width in cells now (a terminal can be resized).
func (s *IO) OutWidth() int { return widthOf(s.outWidth) }

// ErrWidth is stderr's width in cells now.
func (s *IO) ErrWidth() int { return widthOf(s.errWidth) }

func widthOf(f func() int) int {
	if f == nil {
		return DefaultWidth
	}
	if w := f(); w > 0 {
		return w
	}
	return DefaultWidth
}

// terminalWidth reports whether w is a terminal and, if so, a function
// that returns its current width.
func terminalWidth(w io.Writer) (func() int, bool) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil, false
	}
	fd := int(f.Fd())
	return func() int {
		cols, _, err := term.GetSize(fd)
		if err != nil {
			return 0
		}
		return cols
	}, true
}
