package config

import (
	"fmt"
	"strconv"
)

// Error is a config problem at a position in the file. Its message reads
// FILE:LINE:COL: what is wrong, and what was expected.
type Error struct {
	File string
	Line int // 0 when the problem has no position (e.g. the file is missing)
	Col  int
	Msg  string
}

// Error formats the problem as FILE:LINE:COL: message, the form editors
// and CI logs turn into links.
func (e *Error) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
}

func quote(s string) string { return strconv.Quote(s) }
