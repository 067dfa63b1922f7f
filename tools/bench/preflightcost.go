package bench

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"
)

// MotoRuns compares, for one number of services in moto, the binary's full
// deploy (preflight included) with the same deploy with --skip-preflight
// and with the aws CLI's update-service plus wait services-stable, all run
// interleaved against the same moto through the counting proxy.
type MotoRuns struct {
	Services int
	Full     Stats // wall of `omdeploy deploy`
	Skip     Stats // wall of `omdeploy deploy --skip-preflight`
	CLI      Stats // wall of the aws CLI's commands; N 0 when skipped
	// Calls by action of the last run of each.
	FullCalls, SkipCalls, CLICalls map[string]int
}

// PreflightRatio is the full deploy's median over the skipped one's.
func (m MotoRuns) PreflightRatio() float64 { return ratio(m.Full.Median, m.Skip.Median) }

// CLIRatio is the aws CLI's median over omdeploy's full deploy's.
func (m MotoRuns) CLIRatio() float64 { return ratio(m.CLI.Median, m.Full.Median) }

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return a.Seconds() / b.Seconds()
}

// MotoRunsOptions shape CompareOnMoto.
type MotoRunsOptions struct {
	Bin, Rusage, MotoURL string
	Dir                  string // where config files go
	Sizes                []int  // services, in one cluster; default 1 and 20
	Runs                 int    // omdeploy runs of each kind per size; default 9
	CLIRuns              int    // aws CLI runs per size; default 3 (a run of twenty services takes seconds)
	// AWS is the aws CLI's path; "" skips the CLI baseline (CLISkipped
	// says why).
	AWS string
}

// CompareOnMoto measures, per size, full deploys, --skip-preflight deploys
// and (when the aws CLI is there) the CLI's deploy, interleaved run by run
// so that a busy moment of a shared machine touches all three alike. Each
// omdeploy run deploys a new image, so each registers a revision and
// starts a deployment; the CLI forces a new deployment.
func CompareOnMoto(ctx context.Context, o MotoRunsOptions) ([]MotoRuns, error) {
	if len(o.Sizes) == 0 {
		o.Sizes = []int{1, 20}
	}
	o.Runs = cmpOr(o.Runs, 9)
	o.CLIRuns = cmpOr(o.CLIRuns, 3)
	p, err := StartProxy(o.MotoURL)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	r := runner{bin: o.Bin, rusage: o.Rusage}
	accounts := make([]motoAccount, len(o.Sizes))
	for i, n := range o.Sizes {
		if accounts[i], err = newMotoAccount(ctx, o.MotoURL, fmt.Sprintf("%s/size-%d", o.Dir, n), 1, n); err != nil {
			return nil, err
		}
	}
	res := make([]MotoRuns, len(o.Sizes))
	walls := make([][3][]time.Duration, len(o.Sizes))
	for run := range max(o.Runs, o.CLIRuns) {
		for i, a := range accounts {
			res[i].Services = a.services()
			if run < o.Runs {
				for k, extra := range [][]string{nil, {"--skip-preflight"}} {
					p.Reset()
					image := fmt.Sprintf("repo/app:r%d-%d", run, k)
					m, err := r.run(ctx, a.deployArgs(p.URL, image, extra...)...)
					if err != nil {
						return nil, err
					}
					if m.Exit != 0 {
						return nil, fmt.Errorf("omdeploy deploy %v (%d services): exit %d:\n%s", extra, a.services(), m.Exit, m.stderr)
					}
					walls[i][k] = append(walls[i][k], m.wall())
					if k == 0 {
						res[i].FullCalls = p.Counts()
					} else {
						res[i].SkipCalls = p.Counts()
					}
				}
			}
			if run < o.CLIRuns && o.AWS != "" {
				p.Reset()
				d, err := cliDeploy(ctx, o.AWS, p.URL, a)
				if err != nil {
					return nil, err
				}
				walls[i][2] = append(walls[i][2], d)
				res[i].CLICalls = p.Counts()
			}
		}
	}
	for i := range res {
		res[i].Full, res[i].Skip, res[i].CLI = summarize(walls[i][0]), summarize(walls[i][1]), summarize(walls[i][2])
	}
	return res, nil
}

// cliWaitBatch is how many services `aws ecs wait services-stable` takes
// in one command (DescribeServices' limit).
const cliWaitBatch = 10

// cliDeploy deploys a's services the way a script with the aws CLI does:
// `aws ecs update-service --force-new-deployment` for each service in
// turn, then `aws ecs wait services-stable` for each cluster, ten services
// a command. It returns the wall time of all of them.
func cliDeploy(ctx context.Context, awsPath, endpoint string, a motoAccount) (time.Duration, error) {
	start := time.Now()
	for _, f := range a.fixtures {
		for _, s := range f.services {
			if err := runCLI(ctx, awsPath, endpoint, "ecs", "update-service", "--cluster", f.cluster, "--service", s, "--force-new-deployment"); err != nil {
				return 0, err
			}
		}
		for i := 0; i < len(f.services); i += cliWaitBatch {
			args := []string{"ecs", "wait", "services-stable", "--cluster", f.cluster, "--services"}
			args = append(args, f.services[i:min(i+cliWaitBatch, len(f.services))]...)
			if err := runCLI(ctx, awsPath, endpoint, args...); err != nil {
				return 0, err
			}
		}
	}
	return time.Since(start), nil
}

// runCLI runs one aws CLI command against endpoint with the dummy
// credentials, its output discarded.
func runCLI(ctx context.Context, awsPath, endpoint string, args ...string) error {
	cmd := exec.CommandContext(ctx, awsPath, append(args, "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json")...)
	cmd.Env = append(benchEnv(), "AWS_PAGER=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("aws %v: %w\n%s", args, err, stderr.String())
	}
	return nil
}

// LookAWS finds the aws CLI on PATH, or says why the baseline is skipped.
func LookAWS() (path, skipped string) {
	p, err := exec.LookPath("aws")
	if err != nil {
		return "", "the aws CLI baseline: `aws` is not on PATH (" + err.Error() + ")."
	}
	return p, ""
}

// cmpOr is v, or def when v is not positive.
func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}
