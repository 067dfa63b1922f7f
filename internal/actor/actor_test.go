package actor

import (
	"strings"
	"testing"
)

func TestFromEnv(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		host     string
		want     Actor
		randomID bool
	}{
		{
			name: "github actions",
			env:  map[string]string{"GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "42", "GITHUB_REPOSITORY": "acme/app", "GITHUB_SERVER_URL": "https://ghe.example.com/", "USER": "runner"},
			want: Actor{Who: "octocat", RunID: "42", RunURL: "https://ghe.example.com/acme/app/actions/runs/42"},
		},
		{
			name: "re-run attempt",
			env:  map[string]string{"GITHUB_ACTOR": "octocat", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2", "GITHUB_REPOSITORY": "acme/app"},
			want: Actor{Who: "octocat", RunID: "42.2", RunURL: "https://github.com/acme/app/actions/runs/42"},
		},
		{
			name: "laptop", env: map[string]string{"USER": "ana"}, host: "mbp",
			want: Actor{Who: "ana@mbp"}, randomID: true,
		},
		{
			name: "nothing known", env: map[string]string{},
			want: Actor{Who: "unknown@unknown-host"}, randomID: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromEnv(func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }, tt.host)
			if tt.randomID {
				if !strings.HasPrefix(got.RunID, "local-") || len(got.RunID) != len("local-")+16 {
					t.Fatalf("RunID = %q, want local- and 16 hex digits", got.RunID)
				}
				got.RunID = ""
			}
			if got != tt.want {
				t.Fatalf("FromEnv = %+v, want %+v", got, tt.want)
			}
		})
	}
}
