package iostreams

import (
	"bytes"
	"testing"
)

func TestCells(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want int
	}{
		{"ascii", "web", 3},
		{"empty", "", 0},
		{"full-width", "日本語", 6},
		{"emoji", "ok 🚀", 5},
		{"combining accent", "cafe\u0301", 4},
		{"accented precomposed", "café", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Cells(tt.in); got != tt.want {
				t.Fatalf("Cells(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestTruncate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		n    int
		want string
	}{
		{"fits", "web", 5, "web"},
		{"exact", "web", 3, "web"},
		{"cut ascii", "tech-gateway", 6, "tech-…"},
		{"cut wide: never half a character", "日本語サービス", 7, "日本語…"},
		{"zero", "web", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Truncate(tt.in, tt.n)
			if got != tt.want {
				t.Fatalf("Truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
			}
			if Cells(got) > tt.n {
				t.Fatalf("Truncate(%q, %d) = %q takes %d cells", tt.in, tt.n, got, Cells(got))
			}
		})
	}
}

func TestPadRight(t *testing.T) {
	t.Parallel()
	if got := PadRight("日本", 6); got != "日本  " {
		t.Fatalf("PadRight = %q, want two spaces after four cells", got)
	}
}

func TestSystemOverBuffers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
	}{
		{"plain", nil},
		{"colour asked for but not a terminal", map[string]string{"TERM": "xterm-256color"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out, errb bytes.Buffer
			s := System(&out, &errb, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if s.OutTTY || s.ErrTTY || s.Color || s.ErrWidth() != DefaultWidth {
				t.Fatalf("buffers described as %+v, width %d", s, s.ErrWidth())
			}
		})
	}
}
