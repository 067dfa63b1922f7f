package lazyre

import (
	"regexp"
	"testing"
)

func TestNewCompilesOnceOnFirstUse(t *testing.T) {
	re := New(`^a+$`)
	first := re()
	if !first.MatchString("aaa") || first.MatchString("b") {
		t.Fatalf("pattern %q matches wrongly", first)
	}
	if second := re(); second != first {
		t.Errorf("second call compiled again: %p, first %p", second, first)
	}
}

func TestNewPanicsAtFirstUseOnABadPattern(t *testing.T) {
	re := New(`(`) // must not panic here
	defer func() {
		if recover() == nil {
			t.Error("a bad pattern did not panic at its first use")
		}
	}()
	var _ *regexp.Regexp = re()
}
