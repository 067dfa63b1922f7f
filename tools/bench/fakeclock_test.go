package bench

import (
	"testing"
	"time"
)

func TestFakeClockFiresInOrder(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		timer   time.Duration
		advance time.Duration
		fired   bool
	}{
		{"before due", 5 * time.Second, 4 * time.Second, false},
		{"exactly due", 5 * time.Second, 5 * time.Second, true},
		{"after due", 5 * time.Second, time.Minute, true},
		{"zero fires at once", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeClock(start)
			tm := f.NewTimer(tt.timer)
			f.advance(tt.advance)
			select {
			case got := <-tm.C():
				if !tt.fired {
					t.Fatalf("fired at %v, want not fired", got)
				}
			default:
				if tt.fired {
					t.Fatal("not fired, want fired")
				}
			}
		})
	}
}

func TestFakeClockStop(t *testing.T) {
	f := newFakeClock(time.Unix(0, 0))
	tm := f.NewTimer(time.Second)
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer = false")
	}
	f.advance(time.Hour)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	if f.pending() != 0 {
		t.Fatalf("Pending = %d", f.pending())
	}
}

func TestFakeClockTimerCreated(t *testing.T) {
	f := newFakeClock(time.Unix(0, 0))
	created := f.timerCreated()
	go f.NewTimer(time.Second)
	select {
	case <-created:
	case <-time.After(5 * time.Second):
		t.Fatal("TimerCreated never closed")
	}
}
