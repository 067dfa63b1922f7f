// Package action tests the GitHub Action: action.yml at the repository root
// and the step scripts beside this file. The tests run the action's steps as
// the runner would (bash, a fake GITHUB_* environment, GITHUB_OUTPUT files),
// with a fake release served on 127.0.0.1 through
// OMDEPLOY_ACTION_RELEASE_BASE; the `uses:` steps (cache, setup-go) are
// skipped as a cache miss on a machine that already has Go.
package action

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"gopkg.in/yaml.v3"
)

// repoRoot is the action's checkout: the repository this test lives in.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// runner names this machine as the runner's RUNNER_OS and RUNNER_ARCH do,
// and as release archives do.
func runner(t *testing.T) (runnerOS, runnerArch, goos, goarch string) {
	t.Helper()
	switch runtime.GOOS {
	case "linux":
		runnerOS = "Linux"
	case "darwin":
		runnerOS = "macOS"
	default:
		t.Skipf("the action supports Linux and macOS runners, not %s", runtime.GOOS)
	}
	switch runtime.GOARCH {
	case "amd64":
		runnerArch = "X64"
	case "arm64":
		runnerArch = "ARM64"
	default:
		t.Skipf("the action supports X64 and ARM64 runners, not %s", runtime.GOARCH)
	}
	return runnerOS, runnerArch, runtime.GOOS, runtime.GOARCH
}

// baseEnv is the test process's environment without anything the runner
// or the action would set.
func baseEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "GITHUB_") || strings.HasPrefix(name, "RUNNER_") ||
			strings.HasPrefix(name, "INPUT_") || strings.HasPrefix(name, "OMDEPLOY") || strings.HasPrefix(name, "IN_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// readOutputs parses a GITHUB_OUTPUT file: NAME=VALUE lines and
// NAME<<DELIMITER blocks.
func readOutputs(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			for i++; i < len(lines) && lines[i] != delim; i++ {
				value = append(value, lines[i])
			}
			out[name] = strings.Join(value, "\n")
			continue
		}
		if name, value, ok := strings.Cut(line, "="); ok {
			out[name] = value
		}
	}
	return out
}

// script is one run of a bash script with the environment env.
type script struct {
	output  string            // stdout and stderr
	code    int               // exit code
	outputs map[string]string // what it wrote to GITHUB_OUTPUT
}

// runBash runs body as the runner runs a `shell: bash` step, with env added
// to baseEnv and a fresh GITHUB_OUTPUT.
func runBash(t *testing.T, body string, env map[string]string) script {
	t.Helper()
	dir := t.TempDir()
	file := filepath.Join(dir, "step.sh")
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	outputs := filepath.Join(dir, "output")
	if err := os.WriteFile(outputs, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", file)
	cmd.Dir = dir
	cmd.Env = append(baseEnv(), "GITHUB_OUTPUT="+outputs)
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	s := script{output: string(out), outputs: readOutputs(t, outputs)}
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("bash: %v", err)
		}
		s.code = exitErr.ExitCode()
	}
	return s
}

// action is the part of action.yml the tests run.
type action struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			Name  string            `yaml:"name"`
			If    string            `yaml:"if"`
			Uses  string            `yaml:"uses"`
			Shell string            `yaml:"shell"`
			Run   string            `yaml:"run"`
			Env   map[string]string `yaml:"env"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

func loadAction(t *testing.T) action {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("action.yml runs using %q, want composite", a.Runs.Using)
	}
	return a
}

// actionRun is what running every step of action.yml did.
type actionRun struct {
	ran     []string                     // the names of the steps that ran (not skipped)
	outputs map[string]map[string]string // step id → its outputs
	failed  string                       // the name of the step that failed, if one did
	code    int                          // its exit code
	log     string                       // every step's stdout and stderr
}

var (
	exprRef  = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
	exprComp = regexp.MustCompile(`^([A-Za-z0-9_.-]+)\s*(==|!=)\s*'([^']*)'$`)
)

// runAction runs action.yml's steps in order, as the runner would with
// inputs (over the defaults) and env (the fake GITHUB_* and RUNNER_*
// environment): `uses:` steps are skipped (actions/cache reports a miss), an
// `if:` is evaluated, a `run:` step runs in bash, and the first failing step
// ends the run. Only the expressions action.yml uses are understood; any
// other fails the test, so that it never guesses.
func runAction(t *testing.T, inputs, env map[string]string) actionRun {
	t.Helper()
	a := loadAction(t)
	in := map[string]string{}
	for name, def := range a.Inputs {
		in[name] = def.Default
	}
	for name, v := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("action.yml has no input %q", name)
		}
		in[name] = v
	}
	r := actionRun{outputs: map[string]map[string]string{}}
	value := func(ref string) string {
		parts := strings.Split(ref, ".")
		switch {
		case len(parts) == 2 && parts[0] == "inputs":
			if v, ok := in[parts[1]]; ok {
				return v
			}
		case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
			return r.outputs[parts[1]][parts[3]]
		case ref == "github.action_path":
			return env["GITHUB_ACTION_PATH"]
		}
		t.Fatalf("action.yml: the test does not know the expression %q", ref)
		return ""
	}
	expand := func(s string) string {
		return exprRef.ReplaceAllStringFunc(s, func(m string) string {
			return value(exprRef.FindStringSubmatch(m)[1])
		})
	}
	cond := func(expr string) bool {
		if expr == "" {
			return true
		}
		for _, part := range strings.Split(expr, "&&") {
			m := exprComp.FindStringSubmatch(strings.TrimSpace(part))
			if m == nil {
				t.Fatalf("action.yml: the test does not know the condition %q", part)
			}
			if (value(m[1]) == m[3]) != (m[2] == "==") {
				return false
			}
		}
		return true
	}
	for _, st := range a.Runs.Steps {
		if st.Uses != "" {
			if strings.HasPrefix(st.Uses, "actions/cache@") {
				r.outputs[st.ID] = map[string]string{"cache-hit": "false"}
			}
			continue
		}
		if !cond(st.If) {
			continue
		}
		if st.Shell != "bash" {
			t.Fatalf("step %q: shell %q, want bash", st.Name, st.Shell)
		}
		stepEnv := map[string]string{}
		for k, v := range env {
			stepEnv[k] = v
		}
		for k, v := range st.Env {
			stepEnv[k] = expand(v)
		}
		s := runBash(t, expand(st.Run), stepEnv)
		r.ran = append(r.ran, st.Name)
		r.log += s.output
		if st.ID != "" {
			r.outputs[st.ID] = s.outputs
		}
		if s.code != 0 {
			r.failed, r.code = st.Name, s.code
			break
		}
	}
	return r
}

// fakeOmdeploy is the binary in a fake release: it prints its version and
// records its arguments, one a line, in $FAKE_ARGS.
const fakeOmdeploy = `#!/usr/bin/env bash
if [ "$1" = version ]; then echo "omdeploy v1.2.3 (fake)"; exit 0; fi
printf '%s\n' "$@" >"$FAKE_ARGS"
`

// tarGz is a release archive holding the files, the first one executable.
func tarGz(t *testing.T, files ...[2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for i, f := range files {
		mode := int64(0o644)
		if i == 0 {
			mode = 0o755
		}
		if err := tw.WriteHeader(&tar.Header{Name: f[0], Mode: mode, Size: int64(len(f[1])), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(f[1])); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// release is a fake GitHub release server on 127.0.0.1: files by URL path,
// 404 for anything else, and every path asked for.
type release struct {
	srv   *httptest.Server
	mu    sync.Mutex
	asked []string
}

func serveRelease(t *testing.T, files map[string][]byte) *release {
	t.Helper()
	r := &release{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.asked = append(r.asked, req.URL.Path)
		r.mu.Unlock()
		body, ok := files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		w.Write(body)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *release) paths() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.asked)
}

// actionPath makes the directory the runner checks an action out into,
// .../_actions/OWNER/REPO/REF, as a link to this repository.
func actionPath(t *testing.T, owner, repo, ref string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "_actions", owner, repo)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ref)
	if err := os.Symlink(repoRoot(t), path); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestActionFromRelease runs action.yml at a release tag, or with a release
// version, against a fake release: the archive is installed only when it
// matches the release's SHA256SUMS.
func TestActionFromRelease(t *testing.T) {
	runnerOS, runnerArch, goos, goarch := runner(t)
	const tag = "v1.2.3"
	name := fmt.Sprintf("omdeploy_%s_%s_%s.tar.gz", tag, goos, goarch)
	archive := tarGz(t, [2]string{"omdeploy", fakeOmdeploy}, [2]string{"README.md", "# omdeploy\n"})
	good := sha256Hex(archive)
	wrong := sha256Hex([]byte("not the archive"))
	prefix := "/acme/omdeploy/releases/download/" + tag + "/"

	tests := []struct {
		name      string
		ref       string // GITHUB_ACTION_REF; empty as the runner leaves it in a composite action
		pathRef   string // the last element of GITHUB_ACTION_PATH
		version   string // the version input; empty for the default
		sums      string // the release's SHA256SUMS; empty for none
		wantError string // in the ::error annotation; empty when the run succeeds
	}{
		{
			name:    "at a release tag, read from the action's path",
			pathRef: tag,
			sums:    good + "  " + name + "\n" + wrong + "  omdeploy_" + tag + "_plan9_amd64.tar.gz\n",
		},
		{
			name:    "at a release tag, from GITHUB_ACTION_REF",
			ref:     tag,
			pathRef: tag,
			sums:    good + " *" + name + "\n",
		},
		{
			name:    "version input names the release, action at a branch",
			ref:     "main",
			pathRef: "main",
			version: tag,
			sums:    good + "  " + name + "\n",
		},
		{
			name:      "wrong checksum is refused",
			pathRef:   tag,
			sums:      wrong + "  " + name + "\n",
			wantError: "checksum mismatch for " + name,
		},
		{
			name:      "archive missing from SHA256SUMS is refused",
			pathRef:   tag,
			sums:      good + "  omdeploy_" + tag + "_plan9_amd64.tar.gz\n",
			wantError: name + " is not listed in the SHA256SUMS",
		},
		{
			name:      "release without SHA256SUMS is refused",
			pathRef:   tag,
			wantError: "could not download SHA256SUMS",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := map[string][]byte{prefix + name: archive}
			if tt.sums != "" {
				files[prefix+"SHA256SUMS"] = []byte(tt.sums)
			}
			rel := serveRelease(t, files)
			temp := t.TempDir()
			args := filepath.Join(t.TempDir(), "args")
			env := map[string]string{
				"GITHUB_ACTION_PATH":           actionPath(t, "acme", "omdeploy", tt.pathRef),
				"GITHUB_ACTION_REF":            tt.ref,
				"RUNNER_OS":                    runnerOS,
				"RUNNER_ARCH":                  runnerArch,
				"RUNNER_TEMP":                  temp,
				"GITHUB_ACTIONS":               "true",
				"OMDEPLOY_ACTION_RELEASE_BASE": rel.srv.URL,
				"FAKE_ARGS":                    args,
			}
			inputs := map[string]string{"tag": "abc123", "services": "api, worker"}
			if tt.version != "" {
				inputs["version"] = tt.version
			}
			r := runAction(t, inputs, env)
			installed := filepath.Join(temp, "omdeploy", "omdeploy-"+goos+"-"+goarch+"-"+tag, "omdeploy")

			if got := r.outputs["locate"]["mode"]; got != "release" {
				t.Fatalf("locate chose %q, want release\n%s", got, r.log)
			}
			if !slices.Contains(rel.paths(), prefix+"SHA256SUMS") {
				t.Errorf("the release server was asked for %q, not for %sSHA256SUMS", rel.paths(), prefix)
			}
			if tt.wantError != "" {
				if r.failed != "Download omdeploy" || r.code == 0 {
					t.Fatalf("failed step %q (exit %d), want Download omdeploy to fail\n%s", r.failed, r.code, r.log)
				}
				if !strings.Contains(r.log, "::error title=omdeploy::") || !strings.Contains(r.log, tt.wantError) {
					t.Errorf("log has no ::error saying %q:\n%s", tt.wantError, r.log)
				}
				if _, err := os.Stat(installed); !os.IsNotExist(err) {
					t.Errorf("a refused binary was installed at %s (stat: %v)", installed, err)
				}
				return
			}
			if r.failed != "" {
				t.Fatalf("step %q failed (exit %d)\n%s", r.failed, r.code, r.log)
			}
			want := []string{"Locate omdeploy", "Download omdeploy", "Run omdeploy"}
			if !slices.Equal(r.ran, want) {
				t.Errorf("steps ran %q, want %q", r.ran, want)
			}
			got, err := os.ReadFile(installed)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != fakeOmdeploy {
				t.Errorf("installed binary is not the release's:\n%s", got)
			}
			if fi, err := os.Stat(installed); err != nil || fi.Mode().Perm()&0o111 == 0 {
				t.Errorf("installed binary is not executable: %v %v", fi.Mode(), err)
			}
			ran, err := os.ReadFile(args)
			if err != nil {
				t.Fatalf("the installed binary did not run: %v\n%s", err, r.log)
			}
			wantArgs := "deploy\n--config\nomdeploy.yaml\n--service\napi\n--service\nworker\n--tag\nabc123\n"
			if string(ran) != wantArgs {
				t.Errorf("omdeploy ran with\n%s\nwant\n%s", ran, wantArgs)
			}
		})
	}
}

// TestActionFromBranch runs action.yml at a branch: it builds the
// repository's cmd/omdeploy for real and runs a deploy whose config file
// does not exist, which stops with exit 2 before any AWS call.
func TestActionFromBranch(t *testing.T) {
	if testing.Short() {
		t.Skip("builds omdeploy")
	}
	runnerOS, runnerArch, _, _ := runner(t)
	temp := t.TempDir()
	env := map[string]string{
		"GITHUB_ACTION_PATH": actionPath(t, "acme", "omdeploy", "main"),
		"RUNNER_OS":          runnerOS,
		"RUNNER_ARCH":        runnerArch,
		"RUNNER_TEMP":        temp,
		"GITHUB_ACTIONS":     "true",
		// Nothing may be downloaded: a request here fails the test.
		"OMDEPLOY_ACTION_RELEASE_BASE": "http://127.0.0.1:1",
	}
	r := runAction(t, map[string]string{"config": "missing.yaml", "tag": "abc123"}, env)
	if r.failed != "Run omdeploy" || r.code != 2 {
		t.Fatalf("step %q failed with exit %d, want Run omdeploy to exit 2 (config)\n%s", r.failed, r.code, r.log)
	}
	if got := r.outputs["locate"]; got["mode"] != "build" || got["version"] != "main" || !strings.HasPrefix(got["key"], "omdeploy-") {
		t.Errorf("locate outputs %v, want mode build, version main and a key", got)
	}
	want := []string{"Locate omdeploy", "Build omdeploy", "Run omdeploy"}
	if !slices.Equal(r.ran, want) {
		t.Errorf("steps ran %q, want %q", r.ran, want)
	}
	// run.sh prints the version first.
	if !strings.Contains(r.log, "omdeploy main (commit ") {
		t.Errorf("the built omdeploy does not report version main:\n%s", r.log)
	}
	if !strings.Contains(r.log, "missing.yaml") {
		t.Errorf("the deploy did not read the config input:\n%s", r.log)
	}
	if got := r.outputs["run"]; got["exit-code"] != "2" || got["result"] != "failure" {
		t.Errorf("run outputs %v, want exit-code 2 and result failure", got)
	}
}

// TestLocate checks where locate.sh takes omdeploy from, for each kind of
// ref and version input.
func TestLocate(t *testing.T) {
	root := repoRoot(t)
	tests := []struct {
		name      string
		path      string // GITHUB_ACTION_PATH; empty for the repository itself
		ref       string // GITHUB_ACTION_REF
		repo      string // GITHUB_ACTION_REPOSITORY
		version   string // the version input
		os, arch  string // RUNNER_OS, RUNNER_ARCH; empty for Linux, X64
		want      map[string]string
		wantError string
	}{
		{name: "release tag from the ref", ref: "v1.2.3", repo: "acme/omdeploy",
			want: map[string]string{"mode": "release", "version": "v1.2.3", "repo": "acme/omdeploy", "os": "linux", "arch": "amd64", "key": "omdeploy-linux-amd64-v1.2.3"}},
		{name: "release tag and repository from the path", path: "_actions/acme/omdeploy/v1.2.3",
			want: map[string]string{"mode": "release", "version": "v1.2.3", "repo": "acme/omdeploy"}},
		{name: "pre-release tag", ref: "v1.3.0-rc.1", version: "auto",
			want: map[string]string{"mode": "release", "version": "v1.3.0-rc.1", "repo": "omdeploy/omdeploy"}},
		{name: "empty version means auto", ref: "v1.2.3", version: "",
			want: map[string]string{"mode": "release", "version": "v1.2.3"}},
		{name: "branch is built", ref: "main",
			want: map[string]string{"mode": "build", "version": "main"}},
		{name: "branch with a slash is built", path: "_actions/acme/omdeploy/feature/v1.2.3",
			want: map[string]string{"mode": "build", "version": "source", "repo": "omdeploy/omdeploy"}},
		{name: "commit SHA is built", ref: "0123456789abcdef0123456789abcdef01234567",
			want: map[string]string{"mode": "build", "version": "0123456789abcdef0123456789abcdef01234567"}},
		{name: "major tag alone is built", ref: "v1",
			want: map[string]string{"mode": "build", "version": "v1"}},
		{name: "local action is built", ref: "",
			want: map[string]string{"mode": "build", "version": "source"}},
		{name: "version source builds a release tag", ref: "v1.2.3", version: "source",
			want: map[string]string{"mode": "build", "version": "v1.2.3"}},
		{name: "version tag at a branch downloads", ref: "main", version: "v2.0.0",
			want: map[string]string{"mode": "release", "version": "v2.0.0", "key": "omdeploy-linux-amd64-v2.0.0"}},
		{name: "macOS on ARM64", ref: "v1.2.3", os: "macOS", arch: "ARM64",
			want: map[string]string{"os": "darwin", "arch": "arm64", "key": "omdeploy-darwin-arm64-v1.2.3"}},
		{name: "unknown version", ref: "main", version: "latest", wantError: `version must be auto, source or a release tag such as v1.2.0, not "latest"`},
		{name: "Windows runner", ref: "v1.2.3", os: "Windows", wantError: "runners on Windows are not supported"},
		{name: "32-bit runner", ref: "v1.2.3", arch: "X86", wantError: "runner architecture X86 is not supported"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := root
			if tt.path != "" {
				path = filepath.Join(t.TempDir(), tt.path)
				if err := os.MkdirAll(path, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			env := map[string]string{
				"GITHUB_ACTION_PATH":       path,
				"GITHUB_ACTION_REF":        tt.ref,
				"GITHUB_ACTION_REPOSITORY": tt.repo,
				"RUNNER_OS":                cmpOr(tt.os, "Linux"),
				"RUNNER_ARCH":              cmpOr(tt.arch, "X64"),
				"RUNNER_TEMP":              "/runner/temp",
				"VERSION":                  tt.version,
			}
			s := runBash(t, `bash "`+filepath.Join(root, "scripts", "action", "locate.sh")+`"`, env)
			if tt.wantError != "" {
				if s.code == 0 || !strings.Contains(s.output, "::error title=omdeploy::"+tt.wantError) {
					t.Errorf("exit %d, output %q; want a failure with ::error %q", s.code, s.output, tt.wantError)
				}
				return
			}
			if s.code != 0 {
				t.Fatalf("exit %d:\n%s", s.code, s.output)
			}
			for k, v := range tt.want {
				if s.outputs[k] != v {
					t.Errorf("output %s = %q, want %q", k, s.outputs[k], v)
				}
			}
			if want := "/runner/temp/omdeploy/" + s.outputs["key"]; s.outputs["dir"] != want {
				t.Errorf("output dir = %q, want %q", s.outputs["dir"], want)
			}
			if s.outputs["mode"] == "build" && !regexp.MustCompile(`^omdeploy-linux-amd64-source-[0-9a-f]{16}$`).MatchString(s.outputs["key"]) {
				t.Errorf("build cache key %q does not follow the sources", s.outputs["key"])
			}
		})
	}
}

func cmpOr(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

// TestRun checks the arguments run.sh gives omdeploy for the action's
// inputs, and the outputs it writes when omdeploy wrote none.
func TestRun(t *testing.T) {
	root := repoRoot(t)
	// The fake answers --help with $FAKE_HELP, records its other arguments
	// and exits with $FAKE_EXIT.
	fake := filepath.Join(t.TempDir(), "omdeploy")
	body := `#!/usr/bin/env bash
if [ "$1" = version ]; then echo "omdeploy fake"; exit 0; fi
for a; do if [ "$a" = --help ]; then echo "$FAKE_HELP"; exit 0; fi; done
printf '%s\n' "$@" >"$FAKE_ARGS"
exit "${FAKE_EXIT:-0}"
`
	if err := os.WriteFile(fake, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		in        map[string]string // IN_* variables
		help      string            // what the fake's --help says
		exit      string            // the fake's exit code
		want      []string          // omdeploy's arguments; nil when it must not run
		wantCode  int
		wantError string
		wantOut   map[string]string // outputs run.sh writes
	}{
		{name: "defaults", in: map[string]string{"IN_COMMAND": "deploy", "IN_CONFIG": "omdeploy.yaml", "IN_FORCE": "false"},
			want: []string{"deploy", "--config", "omdeploy.yaml"}, wantOut: map[string]string{"result": "success", "exit-code": "0"}},
		{name: "services split on commas, spaces and newlines; tag",
			in:   map[string]string{"IN_SERVICES": "api, worker\ncron", "IN_TAG": "abc"},
			want: []string{"deploy", "--config", "omdeploy.yaml", "--service", "api", "--service", "worker", "--service", "cron", "--tag", "abc"}},
		{name: "image wins over tag", in: map[string]string{"IN_IMAGE": "repo/app:v2", "IN_TAG": "abc"},
			want: []string{"deploy", "--config", "omdeploy.yaml", "--image", "repo/app:v2"}},
		{name: "force-new-deployment and wait-until", in: map[string]string{"IN_FORCE": "true", "IN_WAIT_UNTIL": "paused"},
			want: []string{"deploy", "--config", "omdeploy.yaml", "--force-new-deployment", "--wait-until", "paused"}},
		{name: "args split on whitespace, no globbing", in: map[string]string{"IN_COMMAND": "preflight", "IN_ARGS": "--strict  --timeout 20m *"},
			want: []string{"preflight", "--config", "omdeploy.yaml", "--strict", "--timeout", "20m", "*"}},
		{name: "several images when omdeploy takes CONTAINER=REF", in: map[string]string{"IN_IMAGE": "app=repo/app:v2\nsidecar=repo/envoy:v1, repo/x:v3"},
			help: "--image CONTAINER=REF  replace ...",
			want: []string{"deploy", "--config", "omdeploy.yaml", "--image", "app=repo/app:v2", "--image", "sidecar=repo/envoy:v1", "--image", "repo/x:v3"}},
		{name: "several images refused by an omdeploy that takes one", in: map[string]string{"IN_IMAGE": "repo/app:v2\nrepo/app:v3"},
			help: "--image REPO:TAG", wantCode: 2, wantError: "this omdeploy takes one image"},
		{name: "container form refused by an omdeploy that takes one", in: map[string]string{"IN_IMAGE": "app=repo/app:v2"},
			help: "--image REPO:TAG", wantCode: 2, wantError: "this omdeploy takes one image"},
		{name: "force-new-deployment must be a boolean", in: map[string]string{"IN_FORCE": "yes"},
			wantCode: 2, wantError: `force-new-deployment must be true or false, not "yes"`},
		{name: "failure before omdeploy wrote outputs", exit: "4",
			want: []string{"deploy", "--config", "omdeploy.yaml"}, wantCode: 4, wantOut: map[string]string{"result": "failure", "exit-code": "4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := filepath.Join(t.TempDir(), "args")
			env := map[string]string{"OMDEPLOY": fake, "FAKE_ARGS": args, "FAKE_HELP": tt.help, "FAKE_EXIT": cmpOr(tt.exit, "0")}
			for k, v := range tt.in {
				env[k] = v
			}
			s := runBash(t, `bash "`+filepath.Join(root, "scripts", "action", "run.sh")+`"`, env)
			if s.code != tt.wantCode {
				t.Fatalf("exit %d, want %d:\n%s", s.code, tt.wantCode, s.output)
			}
			if tt.wantError != "" && !strings.Contains(s.output, "::error title=omdeploy::"+tt.wantError) {
				t.Errorf("output has no ::error %q:\n%s", tt.wantError, s.output)
			}
			got, err := os.ReadFile(args)
			if tt.want == nil {
				if err == nil {
					t.Errorf("omdeploy ran with %q; want it not run", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("omdeploy did not run: %v\n%s", err, s.output)
			}
			if g := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n"); !slices.Equal(g, tt.want) {
				t.Errorf("omdeploy ran with %q, want %q", g, tt.want)
			}
			for k, v := range tt.wantOut {
				if s.outputs[k] != v {
					t.Errorf("output %s = %q, want %q", k, s.outputs[k], v)
				}
			}
		})
	}
}
