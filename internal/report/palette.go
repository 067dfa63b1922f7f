package report

// palette colours the live terminal view. The zero value colours nothing,
// which is what plain lines, CI logs and NO_COLOR get.
type palette struct{ on bool }

func (p palette) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p palette) green(s string) string  { return p.wrap("32", s) }
func (p palette) red(s string) string    { return p.wrap("31", s) }
func (p palette) yellow(s string) string { return p.wrap("33", s) }
func (p palette) dim(s string) string    { return p.wrap("2", s) }
func (p palette) bold(s string) string   { return p.wrap("1", s) }

// status colours a check status or a verdict word.
func (p palette) status(status, s string) string {
	switch status {
	case "pass", "ok":
		return p.green(s)
	case "fail":
		return p.red(s)
	case "warn":
		return p.yellow(s)
	case "skip":
		return p.dim(s)
	}
	return s
}
