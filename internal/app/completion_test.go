package app

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
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
