package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// BinaryResult is what the built binary costs.
type BinaryResult struct {
	Size       int64
	Version    Stats // wall time of `omdeploy version`
	VersionCPU Stats // its CPU time (user and system): steadier than wall time on a shared machine
	VersionRSS int64 // peak RSS in bytes, the highest over the runs
	Deploy     BinaryDeploy
}

// BinaryDeploy is one run of the binary deploying many moto services.
type BinaryDeploy struct {
	Services int
	Clusters int      // the services are spread over
	Args     []string // after the binary's name; endpoint and config paths elided
	Exit     int
	Wall     time.Duration
	RSS      int64 // peak RSS in bytes
	Calls    map[string]int
}

// Binary measures bin: its size, `version` start-up over runs, and, when
// motoURL is set, a deploy of services moto services spread over clusters
// clusters (one task each, so they complete at once) through a counting
// proxy. Every run goes through
// rusage, the omdeploy-rusage command, which measures wall time and peak
// RSS from outside.
func Binary(ctx context.Context, bin, rusage string, runs int, motoURL string, services, clusters int) (BinaryResult, error) {
	var res BinaryResult
	st, err := os.Stat(bin)
	if err != nil {
		return res, fmt.Errorf("binary: %w (build it with make build)", err)
	}
	res.Size = st.Size()
	r := runner{bin: bin, rusage: rusage}
	walls, cpus := make([]time.Duration, 0, runs), make([]time.Duration, 0, runs)
	for range max(runs, 1) {
		m, err := r.run(ctx, "version")
		if err != nil {
			return res, err
		}
		if m.Exit != 0 {
			return res, fmt.Errorf("omdeploy version: exit %d:\n%s", m.Exit, m.stderr)
		}
		walls = append(walls, m.wall())
		cpus = append(cpus, time.Duration(m.CPUNS))
		res.VersionRSS = max(res.VersionRSS, m.MaxRSSBytes)
	}
	res.Version, res.VersionCPU = summarize(walls), summarize(cpus)
	if motoURL == "" {
		return res, nil
	}
	res.Deploy, err = binaryDeploy(ctx, r, motoURL, services, max(clusters, 1))
	return res, err
}

func binaryDeploy(ctx context.Context, r runner, motoURL string, services, clusters int) (BinaryDeploy, error) {
	d := BinaryDeploy{Services: services, Clusters: clusters}
	dir, err := os.MkdirTemp("", "omdeploy-bench-")
	if err != nil {
		return d, err
	}
	defer os.RemoveAll(dir)
	a, err := newMotoAccount(ctx, motoURL, dir, clusters, services/clusters)
	if err != nil {
		return d, err
	}
	p, err := StartProxy(motoURL)
	if err != nil {
		return d, err
	}
	defer p.Close()
	d.Args = []string{"deploy", "--config", "omdeploy.yaml", "--endpoint-url", "PROXY", "--image", "repo/app:v2", "--output", "json"}
	m, err := r.run(ctx, a.deployArgs(p.URL, "repo/app:v2")...)
	d.Calls = p.Counts()
	if err != nil {
		return d, err
	}
	d.Wall, d.RSS, d.Exit = m.wall(), m.MaxRSSBytes, m.Exit
	if d.Exit != 0 {
		return d, fmt.Errorf("omdeploy %s: exit %d:\n%s", strings.Join(d.Args, " "), d.Exit, m.stderr)
	}
	return d, nil
}

// runner runs the binary through the rusage command.
type runner struct{ bin, rusage string }

// measured is one run: the rusage command's result and the binary's stderr.
type measured struct {
	WallNS      int64 `json:"wall_ns"`
	CPUNS       int64 `json:"cpu_ns"`
	MaxRSSBytes int64 `json:"max_rss_bytes"`
	Exit        int   `json:"exit"`
	stderr      string
}

func (m measured) wall() time.Duration { return time.Duration(m.WallNS) }

// run runs the binary with args and dummy AWS credentials.
func (r runner) run(ctx context.Context, args ...string) (measured, error) {
	var m measured
	f, err := os.CreateTemp("", "omdeploy-rusage-")
	if err != nil {
		return m, err
	}
	f.Close()
	defer os.Remove(f.Name())
	cmd := exec.CommandContext(ctx, r.rusage, append([]string{"-o", f.Name(), r.bin}, args...)...)
	cmd.Env = benchEnv()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	m.stderr = stderr.String()
	if err != nil {
		return m, fmt.Errorf("%s %s: %w\n%s", r.rusage, r.bin, err, m.stderr)
	}
	b, err := os.ReadFile(f.Name())
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("read %s's result: %w", r.rusage, err)
	}
	return m, nil
}

// benchEnv is the environment with AWS settings replaced by dummy
// credentials, so the binary can reach nothing but the endpoint it is given.
func benchEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "OMDEPLOY_") && !strings.HasPrefix(kv, "GITHUB_") {
			env = append(env, kv)
		}
	}
	return append(env, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing", "AWS_SESSION_TOKEN=testing",
		"AWS_REGION=us-east-1", "AWS_EC2_METADATA_DISABLED=true", "NO_COLOR=1")
}
