//go:build unix

package app

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/creack/pty"
)

// TestCompletionTabUnderPseudoTerminal sources the completion scripts in
// interactive bash and zsh on a real pseudo-terminal and presses TAB the
// way a person does. After "--" the completion flag used to reach urfave/cli
// as an argument, and TAB ran the deploy; here every AWS endpoint is an
// httptest server that counts requests, and it must see none.
func TestCompletionTabUnderPseudoTerminal(t *testing.T) {
	bin := omdeployBinary(t)
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		http.Error(w, "no AWS here", http.StatusInternalServerError)
	}))
	defer srv.Close()

	shells := []struct {
		name  string
		args  []string
		setup string
	}{
		{"bash", []string{"--norc", "--noprofile", "-i"}, "source <(omdeploy completion bash)"},
		{"zsh", []string{"-f", "-i"}, "autoload -Uz compinit && compinit -u && source <(omdeploy completion zsh)"},
	}
	for _, sh := range shells {
		t.Run(sh.name, func(t *testing.T) {
			path, err := exec.LookPath(sh.name)
			if err != nil {
				t.Skipf("%s not installed (CI installs it)", sh.name)
			}
			dir := t.TempDir()
			cfg := filepath.Join(dir, "omdeploy.yaml")
			if err := os.WriteFile(cfg, []byte("region: us-east-1\nservices:\n  - name: web\n    cluster: c\n    service: s\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.CommandContext(t.Context(), path, sh.args...)
			cmd.Dir = dir
			cmd.Env = []string{
				"PATH=" + filepath.Dir(bin) + string(os.PathListSeparator) + os.Getenv("PATH"),
				"HOME=" + dir, "TERM=xterm", "PS1=$ ", "PROMPT=$ ",
				"AWS_ACCESS_KEY_ID=test", "AWS_SECRET_ACCESS_KEY=test", "AWS_REGION=us-east-1",
				"AWS_EC2_METADATA_DISABLED=true",
				"OMDEPLOY_ENDPOINT_URL=" + srv.URL, "OMDEPLOY_CONFIG=" + cfg,
			}
			term := startShell(t, cmd)
			term.send(sh.setup + "\r")
			term.send("echo READY$((40+2))\r")
			term.waitFor("READY42")

			// The line. Ctrl-A then "echo A" turns whatever TAB made
			// of the line into something harmless to run and to look for.
			term.send("omdeploy deploy --tag X -- \t")
			term.send("\x01echo A\r")
			term.waitFor("Aomdeploy deploy --tag X --")
			if n := requests.Load(); n != 0 {
				t.Fatalf("TAB after -- sent %d AWS request(s): the completion ran the deploy\n%s", n, term.output())
			}

			// A flag completes from the command's own flags.
			term.send("omdeploy deploy --dry\t")
			term.send("\x01echo B\r")
			term.waitFor("Bomdeploy deploy --dry-run")
			if n := requests.Load(); n != 0 {
				t.Fatalf("completing a flag sent %d AWS request(s)\n%s", n, term.output())
			}
			if out := term.output(); strings.Contains(out, "failed at stage") || strings.Contains(out, "preflight") {
				t.Fatalf("a command ran during completion:\n%s", out)
			}
		})
	}
}

// shellTerm is an interactive shell on a pseudo-terminal.
type shellTerm struct {
	t    *testing.T
	ptmx *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
}

func startShell(t *testing.T, cmd *exec.Cmd) *shellTerm {
	t.Helper()
	ptmx, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 40, Cols: 200})
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	st := &shellTerm{t: t, ptmx: ptmx}
	done := make(chan struct{})
	go func() {
		defer close(done)
		b := make([]byte, 4096)
		for {
			n, err := ptmx.Read(b)
			st.mu.Lock()
			st.buf.Write(b[:n])
			st.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		io.WriteString(ptmx, "exit\r")
		cmd.Process.Kill()
		cmd.Wait()
		ptmx.Close()
		<-done
	})
	return st
}

func (st *shellTerm) send(s string) {
	st.t.Helper()
	if _, err := io.WriteString(st.ptmx, s); err != nil {
		st.t.Fatalf("write to the terminal: %v", err)
	}
}

func (st *shellTerm) output() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.buf.String()
}

// waitFor waits for s to appear in the terminal's output. The generous
// limit only stops a broken shell from hanging the run.
func (st *shellTerm) waitFor(s string) {
	st.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !strings.Contains(st.output(), s) {
		if time.Now().After(deadline) {
			st.t.Fatalf("the terminal never showed %q:\n%q", s, st.output())
		}
		time.Sleep(20 * time.Millisecond)
	}
}
