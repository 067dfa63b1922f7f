//go:build race

package app

// raceBuild says the tests run with -race; the binary they build uses it
// too, so it reuses the packages already compiled for the test instead of
// compiling every dependency again.
const raceBuild = true
