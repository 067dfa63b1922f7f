package taskdef

import "testing"

func TestParseRevision(t *testing.T) {
	tests := []struct {
		name, in, family string
		rev              int
		ok               bool
	}{
		{"family and revision", "web:7", "web", 7, true},
		{"ARN", "arn:aws:ecs:us-east-1:123456789012:task-definition/web:12", "web", 12, true},
		{"bare family", "web", "", 0, false},
		{"ARN without revision", "arn:aws:ecs:us-east-1:123456789012:task-definition/web", "", 0, false},
		{"revision zero", "web:0", "", 0, false},
		{"not a number", "web:latest", "", 0, false},
		{"empty family", ":3", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			family, rev, ok := ParseRevision(tt.in)
			if family != tt.family || rev != tt.rev || ok != tt.ok {
				t.Errorf("ParseRevision(%q) = %q, %d, %v; want %q, %d, %v", tt.in, family, rev, ok, tt.family, tt.rev, tt.ok)
			}
		})
	}
}
