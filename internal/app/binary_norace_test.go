//go:build !race

package app

// raceBuild says the tests run with -race; see binary_race_test.go.
const raceBuild = false
