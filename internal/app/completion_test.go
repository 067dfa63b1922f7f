package app

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

func TestCompletionScripts(t *testing.T) {
	tests := []struct {
		shell, want, check string
	}{
		{"bash", "complete -o bashdefault -o default -F _omdeploy_complete omdeploy", "bash"},
		{"zsh", "#compdef omdeploy", "zsh"},
		{"fish", "complete -c omdeploy", "fish"},
	}
	for _, tt := range tests {
		t.Run(tt.shell, func(t *testing.T) {
			code, out, stderr := run(t, "completion", tt.shell)
			if code != 0 || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, stderr %q, script lacks %q:\n%s", code, stderr, tt.want, out)
			}
			if tt.shell == "fish" && !strings.Contains(out, "'deploy'") {
				t.Errorf("fish script does not complete the deploy command:\n%s", out)
			}
			sh, err := exec.LookPath(tt.check)
			if err != nil {
				t.Logf("%s not installed; syntax not checked", tt.check)
				return
			}
			cmd := exec.Command(sh, "-n")
			cmd.Stdin = strings.NewReader(out)
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v: %s", tt.check, err, b)
			}
		})
	}
	if code, _, stderr := run(t, "completion", "powershell"); code != 2 || !strings.Contains(stderr, "unknown shell") {
		t.Errorf("unknown shell: exit %d, %q", code, stderr)
	}
}

// TestBashCompletionCompletes loads the bash script against the built
// binary and asks it to complete "omdeploy ru" and "omdeploy init --cl".
func TestBashCompletionCompletes(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "omdeploy")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "../../cmd/omdeploy").CombinedOutput(); err != nil {
		t.Fatalf("build: %v: %s", err, b)
	}
	_, script, _ := run(t, "completion", "bash")
	if err := os.WriteFile(filepath.Join(dir, "omdeploy.bash"), []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		line string
		want string
	}{
		{"omdeploy ru", "runbook"},
		{"omdeploy init --cl", "--cluster"},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			words := strings.Fields(tt.line)
			probe := `source omdeploy.bash; COMP_WORDS=(` + strings.Join(words, " ") + `); COMP_CWORD=` +
				strconv.Itoa(len(words)-1) + `; _omdeploy_complete; printf '%s\n' "${COMPREPLY[@]}"`
			cmd := exec.CommandContext(ctx, bash, "-c", probe)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), "PATH="+dir+string(os.PathListSeparator)+os.Getenv("PATH"))
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains("\n"+string(out), "\n"+tt.want+"\n") {
				t.Errorf("completing %q gave %q (err %v), want %q", tt.line, out, err, tt.want)
			}
		})
	}
}

// TestCompletionAnswers asks the CLI for completions in-process: flags come
// from the command's own cli.Command.Flags, nothing completes after "--",
// and wherever the completion flag is, no action runs and no AWS client is
// built.
func TestCompletionAnswers(t *testing.T) {
	deployFlags := flagWords(deployCommand(deps{}).Flags)
	tests := []struct {
		name    string
		args    []string
		want    []string // each must be offered
		wantNot []string // none may be offered
		exact   bool     // the answer is want and nothing else
	}{
		{name: "commands", args: []string{completionFlag, ""}, want: []string{"deploy", "rollback", "runbook"}},
		{name: "command prefix", args: []string{completionFlag, "ro"}, want: []string{"rollback"}, exact: true},
		{name: "command flags", args: []string{completionFlag, "deploy", "--"}, want: deployFlags[:6]},
		{name: "flag prefix", args: []string{completionFlag, "deploy", "--dr"}, want: []string{"--dry-run"}, exact: true},
		{name: "every deploy flag", args: []string{completionFlag, "deploy", "-"}, want: deployFlags, wantNot: []string{"--to-revision", "--markdown"}},
		{name: "after a global flag's value", args: []string{completionFlag, "--config", "x.yaml", "rollback", "--to"}, want: []string{"--to-revision"}, exact: true},
		// Older scripts put the flag last, after a "--" on the line: what is
		// offered then matters less than that nothing runs.
		{name: "old script after --", args: []string{"deploy", "--tag", "X", "--", completionFlag}},
		{name: "old script after -- and a word", args: []string{"deploy", "--tag", "X", "--", "v2", completionFlag}, exact: true},
		{name: "flag before --", args: []string{completionFlag, "deploy", "--tag", "X", "--", ""}, exact: true},
		{name: "command set", args: []string{"deploy", "", completionFlag}, exact: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			built := 0
			d := deps{aws: func(context.Context, awsx.Options) pipeline.AWS {
				built++
				return pipeline.AWS{Err: errors.New("no AWS in this test")}
			}}
			code := runWith(t.Context(), Build{}, append([]string{"omdeploy"}, tt.args...), iostreams.Test(&stdout, &stderr), d)
			if code != 0 || built != 0 || stderr.Len() != 0 {
				t.Fatalf("exit %d, AWS clients built %d times, stderr %q: an action ran", code, built, stderr.String())
			}
			got := strings.Fields(stdout.String())
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("%q not offered; got %q", w, got)
				}
			}
			for _, w := range tt.wantNot {
				if slices.Contains(got, w) {
					t.Errorf("%q offered; it is not deploy's flag", w)
				}
			}
			if tt.exact && len(got) != len(tt.want) {
				t.Errorf("got %q, want exactly %q", got, tt.want)
			}
		})
	}
}
