package iostreams

import "github.com/mattn/go-runewidth"

// cells measures as a Western terminal does: characters of ambiguous width
// (✓, •, …) take one cell whatever the locale, so a view is laid out the
// same on every machine and in tests.
var cells = func() *runewidth.Condition {
	c := runewidth.NewCondition()
	c.EastAsianWidth = false
	return c
}()

// Cells is how many terminal columns s takes: a full-width character or an
// emoji takes two, a combining mark none. Counting runes instead would let
// a line of CJK service names wrap and break a view redrawn in place.
func Cells(s string) int { return cells.StringWidth(s) }

// Truncate cuts s to at most n cells, ending it with "…" when cut.
func Truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	return cells.Truncate(s, n, "…")
}

// PadRight pads s with spaces to n cells; a longer s is returned as is.
func PadRight(s string, n int) string { return cells.FillRight(s, n) }
