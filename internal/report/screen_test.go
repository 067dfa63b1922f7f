package report

import (
	"strconv"
	"strings"
)

// screen is a minimal terminal emulator: enough of VT100 to replay what the
// live view writes (text, CR, LF, cursor up, erase, colours) and read the
// screen a person would see at the end.
type screen struct {
	rows, cols int
	cells      [][]rune
	row, col   int
	cursorOn   bool
}

func newScreen(rows, cols int) *screen {
	s := &screen{rows: rows, cols: cols, cursorOn: true}
	for range rows {
		s.cells = append(s.cells, blankLine(cols))
	}
	return s
}

func blankLine(cols int) []rune { return []rune(strings.Repeat(" ", cols)) }

func (s *screen) lineFeed() {
	if s.row < s.rows-1 {
		s.row++
		return
	}
	s.cells = append(s.cells[1:], blankLine(s.cols))
}

// write interprets out.
func (s *screen) write(out string) {
	rs := []rune(out)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '\r':
			s.col = 0
		case '\n':
			s.lineFeed()
		case '\x1b':
			i = s.escape(rs, i)
		default:
			if s.col >= s.cols { // autowrap
				s.col = 0
				s.lineFeed()
			}
			s.cells[s.row][s.col] = c
			s.col++
		}
	}
}

// escape handles the CSI sequence at rs[i] and returns its last index.
func (s *screen) escape(rs []rune, i int) int {
	if i+1 >= len(rs) || rs[i+1] != '[' {
		return i
	}
	j := i + 2
	for j < len(rs) && (rs[j] < '@' || rs[j] > '~') {
		j++
	}
	if j >= len(rs) {
		return len(rs) - 1
	}
	params, final := string(rs[i+2:j]), rs[j]
	n, err := strconv.Atoi(params)
	if err != nil || n == 0 {
		n = 1
	}
	switch {
	case params == "?25l":
		s.cursorOn = false
	case params == "?25h":
		s.cursorOn = true
	case final == 'A':
		s.row = max(0, s.row-n)
	case final == 'J': // erase to the end of the screen
		for c := s.col; c < s.cols; c++ {
			s.cells[s.row][c] = ' '
		}
		for r := s.row + 1; r < s.rows; r++ {
			s.cells[r] = blankLine(s.cols)
		}
	case final == 'K':
		for c := s.col; c < s.cols; c++ {
			s.cells[s.row][c] = ' '
		}
	}
	return j
}

// text is the screen's content with trailing blanks trimmed.
func (s *screen) text() string {
	var lines []string
	for _, l := range s.cells {
		lines = append(lines, strings.TrimRight(string(l), " "))
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}
