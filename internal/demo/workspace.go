package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/omdeploy/omdeploy/internal/sim"
)

// workspace is the demo's project folder, created in the temporary
// directory and removed at the end: a git work tree whose .gitignore
// ignores .secrets/, with the omdeploy.yaml the run loads, so that the
// secrets check and the config loader do real work.
type workspace struct {
	dir string
	git string // the git binary; "" when git is not installed
}

// secretFile is the demo's secret, under the secrets folder. Its value is
// a placeholder: nothing prints it.
const secretFile = ".secrets/db.env"

// newWorkspace creates the folder. With git installed it is a git work
// tree; trackSecret commits the secret file (force-added, before the
// ignore rule existed) as the runbook's incident did.
func newWorkspace(ctx context.Context, trackSecret bool) (*workspace, error) {
	dir, err := os.MkdirTemp("", "omdeploy-demo-")
	if err != nil {
		return nil, fmt.Errorf("demo workspace: %w", err)
	}
	w := &workspace{dir: dir}
	if git, err := exec.LookPath("git"); err == nil {
		w.git = git
	}
	if err := w.fill(ctx, trackSecret); err != nil {
		w.remove()
		return nil, fmt.Errorf("demo workspace: %w", err)
	}
	return w, nil
}

func (w *workspace) fill(ctx context.Context, trackSecret bool) error {
	if err := os.MkdirAll(filepath.Join(w.dir, filepath.Dir(secretFile)), 0o700); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(w.dir, secretFile), []byte("DB_PASSWORD=placeholder-not-a-secret\n"), 0o600); err != nil {
		return err
	}
	if w.git != "" {
		if err := w.run(ctx, "init", "--quiet"); err != nil {
			return err
		}
		if trackSecret {
			if err := w.run(ctx, "add", "--force", "--", secretFile); err != nil {
				return err
			}
			if err := w.run(ctx, "commit", "--quiet", "--no-verify", "-m", "add database settings"); err != nil {
				return err
			}
		}
	}
	return os.WriteFile(filepath.Join(w.dir, ".gitignore"), []byte(".secrets/\n"), 0o644)
}

// run runs git in the workspace, isolated from the user's and the system's
// git configuration (hooks, signing, templates), with a fixed author.
func (w *workspace) run(ctx context.Context, args ...string) error {
	if w.git == "" {
		return errors.New("git is not installed")
	}
	cmd := exec.CommandContext(ctx, w.git, append([]string{"-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = w.dir
	cmd.Env = append(os.Environ(),
		"GIT_CONFIG_GLOBAL="+os.DevNull, "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=omdeploy demo", "GIT_AUTHOR_EMAIL=demo@omdeploy.invalid",
		"GIT_COMMITTER_NAME=omdeploy demo", "GIT_COMMITTER_EMAIL=demo@omdeploy.invalid",
	)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return nil
}

func (w *workspace) remove() { os.RemoveAll(w.dir) }

// configSpec is what the demo's omdeploy.yaml declares.
type configSpec struct {
	baseURL       string
	ssmParameters []string
	services      []serviceSpec
}

type serviceSpec struct {
	name        string
	waitTimeout time.Duration
	endpoints   []endpointSpec
	extra       string // YAML lines added to the service's entry, such as release tasks
}

type endpointSpec struct {
	path   string
	status int    // 0: any 2xx
	body   string // "": not checked
}

// defaultConfig declares the simulated account's three services, each
// health-checked on the local server.
func defaultConfig(baseURL string) configSpec {
	return configSpec{
		baseURL:       baseURL,
		ssmParameters: []string{"/demo/api/DB_PASSWORD"},
		services: []serviceSpec{
			{name: "web", waitTimeout: 2 * time.Minute, endpoints: []endpointSpec{{path: "/healthz"}, {path: "/api/tech/health", status: 200, body: "ok"}}},
			{name: "api", waitTimeout: 2 * time.Minute, endpoints: []endpointSpec{{path: "/healthz"}}},
			{name: "worker", waitTimeout: 2 * time.Minute, endpoints: []endpointSpec{{path: "/healthz"}}},
		},
	}
}

// service returns the spec of the named service, for scenarios to change.
func (c *configSpec) service(name string) *serviceSpec {
	for i := range c.services {
		if c.services[i].name == name {
			return &c.services[i]
		}
	}
	panic("demo: no service " + name + " in the demo config")
}

// writeConfig writes omdeploy.yaml in the workspace and returns its path.
func (w *workspace) writeConfig(c configSpec) (string, error) {
	var b strings.Builder
	b.WriteString("# Written by `omdeploy demo` for its simulated account; removed when the demo ends.\n")
	fmt.Fprintf(&b, "region: %s\naccount_id: %q\nsecrets: [.secrets/]\n", sim.Region, sim.Account)
	if len(c.ssmParameters) > 0 {
		b.WriteString("ssm_parameters:\n")
		for _, p := range c.ssmParameters {
			fmt.Fprintf(&b, "  - %s\n", p)
		}
	}
	b.WriteString("services:\n")
	for _, s := range c.services {
		fmt.Fprintf(&b, "  - name: %s\n    cluster: %s\n    service: %s\n    container: app\n    wait_timeout: %s\n", s.name, sim.DemoCluster, s.name, s.waitTimeout)
		fmt.Fprintf(&b, "    health:\n      base_url: %s\n      timeout: 1m\n      endpoints:\n", c.baseURL)
		for _, e := range s.endpoints {
			if e.status == 0 && e.body == "" {
				fmt.Fprintf(&b, "        - %s\n", e.path)
				continue
			}
			fmt.Fprintf(&b, "        - path: %s\n", e.path)
			if e.status != 0 {
				fmt.Fprintf(&b, "          expect_status: [%d]\n", e.status)
			}
			if e.body != "" {
				fmt.Fprintf(&b, "          expect_body: %s\n", e.body)
			}
		}
		b.WriteString(s.extra)
	}
	path := filepath.Join(w.dir, "omdeploy.yaml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", fmt.Errorf("write demo config: %w", err)
	}
	return path, nil
}
