// Package lazyre compiles a package-level regular expression on its first
// use instead of at start-up. Compiling every pattern of the binary in
// package initialisation costs each run, `omdeploy version` included, the
// time and the heap of all of them (a bounded repeat such as {1,255}
// compiles to a large program), although a run uses a few.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles pattern once, at its first call,
// and returns the same *regexp.Regexp from then on; it is safe for
// concurrent use. A pattern that does not compile panics at that first
// call, as regexp.MustCompile would have at start-up: each package's tests
// use its patterns.
func New(pattern string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(pattern) })
}
