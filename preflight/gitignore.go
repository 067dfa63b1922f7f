package preflight

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// probeName is a file that does not exist under a secrets folder; asking git
// whether it would be ignored covers rules such as `.secrets/*`, which
// ignore every file in the folder without naming the folder itself.
const probeName = "omdeploy-preflight-probe"

// gitRunner runs the git binary: git's own answer is the only one that
// honours nested .gitignore files, .git/info/exclude, core.excludesFile and
// `!` negations exactly.
type gitRunner struct {
	path string   // "": git from PATH
	env  []string // added to the environment; tests make git hermetic with it
}

// gitError is git exiting non-zero, with what it said.
type gitError struct {
	args   []string
	code   int
	stderr string
}

func (e *gitError) Error() string {
	return fmt.Sprintf("git %s: exit %d: %s", strings.Join(e.args, " "), e.code, strings.TrimSpace(e.stderr))
}

func (g gitRunner) run(ctx context.Context, dir string, args ...string) ([]byte, error) {
	return g.runInput(ctx, dir, "", args...)
}

// runInput runs git with stdin, for the commands whose -z form reads paths
// from it.
func (g gitRunner) runInput(ctx context.Context, dir, stdin string, args ...string) ([]byte, error) {
	path := g.path
	if path == "" {
		path = "git"
	}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	if len(g.env) > 0 {
		cmd.Env = append(os.Environ(), g.env...)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return out, &gitError{args: args, code: exit.ExitCode(), stderr: stderr.String()}
	}
	return out, err
}

// exitCode is git's exit status in err, or -1 when git did not run.
func exitCode(err error) int {
	var ge *gitError
	if errors.As(err, &ge) {
		return ge.code
	}
	return -1
}

// checkSecrets is the runbook's "`.secrets` wiped after reset, because git
// did not exclude it": each secrets path must be ignored by git and hold no
// tracked file. Paths are relative to the config's folder.
func (r *runner) checkSecrets(ctx context.Context) Check {
	paths := r.opts.Config.Secrets
	if len(paths) == 0 {
		return skip("no secrets paths declared")
	}
	dir, err := filepath.Abs(filepath.Dir(r.opts.Config.Path))
	if err != nil {
		return warn("", nil, "cannot locate the config's folder: %v", err)
	}
	top, err := r.git.run(ctx, dir, "rev-parse", "--show-toplevel")
	switch {
	case errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist):
		return warn("", nil, "git is not installed; cannot tell whether %s are ignored", strings.Join(paths, ", "))
	case exitCode(err) == 128 && strings.Contains(err.Error(), "not a git repository"):
		return warn("", nil, "%s is not in a git work tree; nothing commits %s, but nothing protects it from a reset either", dir, strings.Join(paths, ", "))
	case err != nil:
		return warn("", nil, "cannot ask git about %s: %v", dir, err)
	}
	topDir := strings.TrimSpace(string(top))

	var lines []string
	var first *Check
	for _, p := range paths {
		c := r.checkSecretPath(ctx, dir, topDir, p)
		lines = append(lines, c.Message)
		if c.Status != event.StatusPass && first == nil {
			first = &c
		}
	}
	if first != nil {
		first.Message = strings.Join(lines, "; ")
		return *first
	}
	return pass("%s", strings.Join(lines, "; "))
}

// checkSecretPath checks one path. The path need not exist: an ignore rule
// protects the secrets before they are written.
func (r *runner) checkSecretPath(ctx context.Context, dir, top, p string) Check {
	abs := p
	if !filepath.IsAbs(p) {
		abs = filepath.Join(dir, p)
	}
	if real, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		abs = filepath.Join(real, filepath.Base(abs))
	}
	if rel, err := filepath.Rel(top, abs); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return pass("%s is outside the git work tree %s: git cannot commit it", p, top)
	}
	info, statErr := os.Stat(abs)
	isDir := strings.HasSuffix(p, "/") || (statErr == nil && info.IsDir())
	spec := p
	if isDir && !strings.HasSuffix(spec, "/") {
		spec += "/"
	}

	out, err := r.git.run(ctx, dir, "ls-files", "-z", "--full-name", "--", spec)
	if err != nil {
		return warn("", nil, "%s: %v", p, err)
	}
	tracked := splitNUL(out)
	if len(tracked) > 0 {
		return fail(runbook.SecretTracked, map[string]string{"file": shellJoin(tracked), "path": p},
			"%s: git tracks %s; committed before the ignore rule or force-added, it is in the history", p, listSome(tracked, 5))
	}

	rule, ignored, err := r.ignoreRule(ctx, dir, spec)
	if err == nil && !ignored && isDir {
		var probeRule string
		probeRule, ignored, err = r.ignoreRule(ctx, dir, spec+probeName)
		if ignored || probeRule != "" {
			rule = probeRule
		}
	}
	if err != nil {
		return warn("", nil, "%s: %v", p, err)
	}
	if !ignored {
		why := "no rule ignores it"
		if rule != "" {
			why = "a negation re-includes it (" + rule + ")"
		}
		return fail(runbook.SecretsNotIgnored, map[string]string{"path": p}, "%s is not ignored by git: %s", p, why)
	}

	out, err = r.git.run(ctx, dir, "ls-files", "-z", "--full-name", "--others", "--exclude-standard", "--", spec)
	if err != nil {
		return warn("", nil, "%s: %v", p, err)
	}
	if exposed := splitNUL(out); len(exposed) > 0 {
		return fail(runbook.SecretsNotIgnored, map[string]string{"path": p},
			"%s is ignored, but a `!` rule re-includes %s: `git add .` would commit it", p, listSome(exposed, 5))
	}
	return pass("%s is ignored (%s) and nothing under it is tracked", p, rule)
}

// ignoreRule asks git which rule decides path, and whether that rule
// ignores it (a `!` rule re-includes). It uses --no-index so the rules are
// read even for a path the index tracks.
func (r *runner) ignoreRule(ctx context.Context, dir, path string) (rule string, ignored bool, err error) {
	out, err := r.git.runInput(ctx, dir, path+"\x00", "check-ignore", "--no-index", "-v", "-z", "--stdin")
	if exitCode(err) == 1 {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	// -z -v: source NUL line NUL pattern NUL path NUL
	f := strings.Split(string(out), "\x00")
	if len(f) < 3 {
		return "", false, fmt.Errorf("git check-ignore %s: unexpected output %q", path, out)
	}
	rule = fmt.Sprintf("%s:%s: %s", f[0], f[1], f[2])
	return rule, !strings.HasPrefix(f[2], "!"), nil
}

func splitNUL(b []byte) []string {
	var out []string
	for _, s := range strings.Split(string(b), "\x00") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// listSome names the first n items and counts the rest.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}

// shellJoin quotes paths for a command line a person will paste.
func shellJoin(paths []string) string {
	q := make([]string, len(paths))
	for i, p := range paths {
		if strings.ContainsAny(p, " \t'\"$`\\*?[]#~&;|<>(){}!") {
			p = "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
		}
		q[i] = p
	}
	return strings.Join(q, " ")
}
