package report

import (
	"bytes"
	"io"
)

// Writer returns a writer for other output that shares stderr with the
// progress view, such as a text slog handler: each complete line is
// printed above the live block (so it does not tear the block), or straight
// to stderr in the other views.
func (r *Renderer) Writer() io.Writer { return &lineWriter{r: r} }

type lineWriter struct {
	r       *Renderer
	partial []byte // a line not yet ended; guarded by r.mu
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.r.mu.Lock()
	defer w.r.mu.Unlock()
	w.partial = append(w.partial, p...)
	i := bytes.LastIndexByte(w.partial, '\n')
	if i < 0 {
		return len(p), nil
	}
	lines := string(w.partial[:i+1])
	w.partial = append(w.partial[:0], w.partial[i+1:]...)
	if w.r.live != nil {
		w.r.live.above(lines)
		return len(p), nil
	}
	if _, err := io.WriteString(w.r.opts.IO.Err, lines); err != nil {
		return 0, err
	}
	return len(p), nil
}
