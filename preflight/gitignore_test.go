package preflight

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func TestSecretsGitignore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		setup       func(t *testing.T, g gitRunner, repo string) // builds the work tree
		configDir   string                                       // where the config lives, relative to the repo
		secrets     []string                                     // default .secrets/
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
		wantFix     string
	}{
		{
			name: "ignored and untracked",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", "node_modules/\n.secrets/\n")
				writeFile(t, repo, ".secrets/db.env", "DB_PASSWORD=hunter2\n")
			},
			wantStatus: event.StatusPass, wantInMsg: []string{".secrets/ is ignored (.gitignore:2: .secrets/)", "nothing under it is tracked"},
		},
		{
			name:       "ignored and not yet created",
			setup:      func(t *testing.T, g gitRunner, repo string) { writeFile(t, repo, ".gitignore", ".secrets/\n") },
			wantStatus: event.StatusPass,
		},
		{
			name:       "a folder/* rule and no folder",
			setup:      func(t *testing.T, g gitRunner, repo string) { writeFile(t, repo, ".gitignore", ".secrets/*\n") },
			wantStatus: event.StatusPass, wantInMsg: []string{".gitignore:1: .secrets/*"},
		},
		{
			name: "not ignored",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", "node_modules/\n")
				writeFile(t, repo, ".secrets/db.env", "x")
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretsNotIgnored,
			wantInMsg: []string{".secrets/ is not ignored by git: no rule ignores it"},
			wantFix:   "git check-ignore -v .secrets/",
		},
		{
			name: "ignored but tracked",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".secrets/db.env", "x")
				gitDo(t, g, repo, "add", ".secrets/db.env")
				gitDo(t, g, repo, "commit", "-q", "-m", "oops")
				writeFile(t, repo, ".gitignore", ".secrets/\n") // the rule came later
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretTracked,
			wantInMsg: []string{"git tracks .secrets/db.env"},
			wantFix:   "git rm -r --cached -- .secrets/db.env",
		},
		{
			name: "force-added despite the rule",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", ".secrets/\n")
				writeFile(t, repo, ".secrets/my key.pem", "x")
				gitDo(t, g, repo, "add", "-f", ".secrets/my key.pem")
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretTracked,
			wantFix: "git rm -r --cached -- '.secrets/my key.pem'",
		},
		{
			name: "a negation re-includes a tracked file",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", ".secrets/*\n!.secrets/public.pem\n")
				writeFile(t, repo, ".secrets/public.pem", "x")
				writeFile(t, repo, ".secrets/private.pem", "y")
				gitDo(t, g, repo, "add", ".")
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretTracked,
			wantInMsg: []string{"git tracks .secrets/public.pem"},
		},
		{
			name: "a negation re-includes an untracked file",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", ".secrets/*\n!.secrets/public.pem\n")
				writeFile(t, repo, ".secrets/public.pem", "x")
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretsNotIgnored,
			wantInMsg: []string{"a `!` rule re-includes .secrets/public.pem"},
		},
		{
			name: "a negation re-includes the folder",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", ".secrets/\n")
				writeFile(t, repo, "app/.gitignore", "!.secrets/\n")
			},
			configDir:  "app",
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretsNotIgnored,
			wantInMsg: []string{".secrets/ is not ignored by git"},
		},
		{
			name: "a rule in a nested .gitignore",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", "*.log\n")
				writeFile(t, repo, "services/api/.gitignore", "/.secrets/\n")
				writeFile(t, repo, "services/api/.secrets/token", "x")
			},
			configDir:  "services/api",
			wantStatus: event.StatusPass, wantInMsg: []string{"services/api/.gitignore:1: /.secrets/"},
		},
		{
			name: "a nested rule does not cover a sibling",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, "services/api/.gitignore", "/.secrets/\n")
				writeFile(t, repo, "services/web/README", "web\n")
			},
			configDir:  "services/web",
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretsNotIgnored,
		},
		{
			name: ".git/info/exclude",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".git/info/exclude", ".secrets/\n")
			},
			wantStatus: event.StatusPass, wantInMsg: []string{"info/exclude"},
		},
		{
			name: "global excludes file",
			setup: func(t *testing.T, g gitRunner, repo string) {
				global := filepath.Join(t.TempDir(), "global-ignore")
				writeFile(t, filepath.Dir(global), "global-ignore", ".secrets/\n")
				gitDo(t, g, repo, "config", "--global", "core.excludesFile", global)
			},
			wantStatus: event.StatusPass, wantInMsg: []string{"global-ignore:1: .secrets/"},
		},
		{
			name: "a plain file path",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", ".env\n")
			},
			secrets:    []string{".env"},
			wantStatus: event.StatusPass,
		},
		{
			name: "a negation re-includes a secrets file",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", "*.env\n!prod.env\n")
			},
			secrets:    []string{"prod.env"},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretsNotIgnored,
			wantInMsg: []string{"a negation re-includes it (.gitignore:2: !prod.env)"},
		},
		{
			name: "every path is checked",
			setup: func(t *testing.T, g gitRunner, repo string) {
				writeFile(t, repo, ".gitignore", ".secrets/\n")
			},
			secrets:    []string{".secrets/", "config/private/"},
			wantStatus: event.StatusFail, wantRunbook: runbook.SecretsNotIgnored,
			wantInMsg: []string{".secrets/ is ignored", "config/private/ is not ignored"},
			wantFix:   "`config/private/`",
		},
		{
			name:       "outside the work tree",
			setup:      func(t *testing.T, g gitRunner, repo string) {},
			secrets:    []string{"/nonexistent-omdeploy-secrets/"},
			wantStatus: event.StatusPass, wantInMsg: []string{"outside the git work tree"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			g := hermeticGit(t)
			repo := gitRepo(t, g)
			tt.setup(t, g, repo)
			secrets := tt.secrets
			if secrets == nil {
				secrets = []string{config.DefaultSecretsPath}
			}
			cfg := &config.File{Path: filepath.Join(repo, tt.configDir, "omdeploy.yaml"), Secrets: secrets}
			c := newRunner(Options{Config: cfg, git: g}).checkSecrets(context.Background())
			expect(t, c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			if !strings.Contains(c.Fix, tt.wantFix) {
				t.Errorf("fix %q lacks %q", c.Fix, tt.wantFix)
			}
		})
	}
}

func TestSecretsGitignoreWithoutGit(t *testing.T) {
	t.Parallel()
	g := hermeticGit(t)
	notRepo := t.TempDir()
	cfg := &config.File{Path: filepath.Join(notRepo, "omdeploy.yaml"), Secrets: []string{config.DefaultSecretsPath}}

	t.Run("not a work tree warns", func(t *testing.T) {
		c := newRunner(Options{Config: cfg, git: g}).checkSecrets(context.Background())
		if c.Status != event.StatusWarn || !strings.Contains(c.Message, "not in a git work tree") {
			t.Fatalf("secrets.gitignore = %+v", c)
		}
	})
	t.Run("git not installed warns", func(t *testing.T) {
		noGit := g
		noGit.path = "omdeploy-no-such-git"
		c := newRunner(Options{Config: cfg, git: noGit}).checkSecrets(context.Background())
		if c.Status != event.StatusWarn || !strings.Contains(c.Message, "git is not installed") {
			t.Fatalf("secrets.gitignore = %+v", c)
		}
	})
}
