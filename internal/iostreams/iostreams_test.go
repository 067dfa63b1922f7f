package iostreams

import (
	"io"
	"testing"

	"github.com/creack/pty"
)

func TestSystemOnTerminal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		env       map[string]string
		wantColor bool
	}{
		{"colour terminal", map[string]string{"TERM": "xterm-256color"}, true},
		{"NO_COLOR set", map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false},
		{"NO_COLOR empty counts as unset", map[string]string{"TERM": "xterm", "NO_COLOR": ""}, true},
		{"dumb terminal", map[string]string{"TERM": "dumb"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ptmx, tty, err := pty.Open()
			if err != nil {
				t.Skipf("no pseudo-terminal here: %v", err)
			}
			defer ptmx.Close()
			defer tty.Close()
			if err := pty.Setsize(tty, &pty.Winsize{Cols: 132, Rows: 40}); err != nil {
				t.Fatal(err)
			}
			s := System(io.Discard, tty, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if !s.ErrTTY || s.OutTTY {
				t.Fatalf("ErrTTY = %v, OutTTY = %v; want a terminal on stderr only", s.ErrTTY, s.OutTTY)
			}
			if s.Color != tt.wantColor {
				t.Fatalf("Color = %v, want %v", s.Color, tt.wantColor)
			}
			if got := s.ErrWidth(); got != 132 {
				t.Fatalf("ErrWidth = %d, want the terminal's 132", got)
			}
			if err := pty.Setsize(tty, &pty.Winsize{Cols: 60, Rows: 40}); err != nil {
				t.Fatal(err)
			}
			if got := s.ErrWidth(); got != 60 {
				t.Fatalf("ErrWidth after a resize = %d, want 60", got)
			}
			s.DisableColor()
			if s.Color {
				t.Fatal("DisableColor left colour on")
			}
		})
	}
}
