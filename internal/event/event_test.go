package event

import (
	"testing"
	"time"
)

func TestStamped(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	own := now.Add(-time.Hour)
	tests := []struct {
		name string
		in   Event
		want time.Time
	}{
		{"zero At takes the clock's time", Warning{Message: "w"}, now},
		{"an emitter's own time is kept", ServiceEvent{At: own, Message: "m"}, own},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec Recorder
			Stamped(&rec, func() time.Time { return now }).Report(tt.in)
			got := rec.Events()
			if len(got) != 1 || At(got[0]) != tt.want {
				t.Fatalf("reported %+v, want one event at %s", got, tt.want)
			}
			if w, ok := got[0].(Warning); ok && w.Message != "w" {
				t.Fatalf("stamping changed the event: %+v", w)
			}
		})
	}
}
