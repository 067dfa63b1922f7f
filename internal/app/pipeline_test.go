package app

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/demo"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

// typeTrail records, per service, the sequence of event types a run
// emitted, with repeats folded: how often a rollout is polled, and what a
// poll sees first, depend on timing; which stages run, what they report
// and in what order do not.
type typeTrail struct {
	mu    sync.Mutex
	trail map[string][]string
}

func (r *typeTrail) Report(e event.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.trail == nil {
		r.trail = map[string][]string{}
	}
	svc := trailOf(e)
	name := fmt.Sprintf("%T", e)
	switch e := e.(type) {
	case event.StageStarted:
		name += "(" + string(e.Stage) + ")"
	case event.DeploymentProgress, event.ServiceEvent:
		// What a poll sees first, counts or ECS's messages, is timing.
		name = "observed"
	case event.ServiceDeploymentProgress, event.TargetHealth:
		// How many polls a rollout takes, and in which the targets
		// changed, is timing: they fold into one run of progress.
		name = "progress"
	}
	if t := r.trail[svc]; len(t) == 0 || t[len(t)-1] != name {
		r.trail[svc] = append(t, name)
	}
}

// trailOf names the trail an event belongs to: its service's, or for a
// health event its endpoint's, since endpoints are checked concurrently.
// Checks finish in any order, so they are one trail.
func trailOf(e event.Event) string {
	if _, ok := e.(event.CheckFinished); ok {
		return "checks"
	}
	v := reflect.ValueOf(e)
	key := v.FieldByName("Service").String()
	if u := v.FieldByName("URL"); u.IsValid() {
		// Each run has its own health server: the path names the endpoint.
		parsed, _ := url.Parse(u.String())
		key += " " + parsed.Path
	}
	return key
}

// TestDemoAndDeployRunOnePipeline runs a scenario through `omdeploy demo`'s
// wiring and through the CLI's own `omdeploy deploy`, both against the
// same simulated account set-up, and finds the same stages and events.
func TestDemoAndDeployRunOnePipeline(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"healthy", "crash-loop", "missing-ssm-parameter"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			speed := 50.0
			var viaDemo typeTrail
			_, demoErr := demo.Run(t.Context(), demo.Options{Scenario: name, Speed: speed, Reporter: &viaDemo})

			env, err := demo.Prepare(t.Context(), demo.Options{Scenario: name, Speed: speed})
			if err != nil {
				t.Fatal(err)
			}
			defer env.Close()
			var viaCLI typeTrail
			d := deps{
				aws:     func(context.Context, awsx.Options) pipeline.AWS { return env.AWS() },
				clock:   env.Clock,
				observe: event.Tee{&viaCLI, env.Observer()},
			}
			args := []string{"omdeploy", "deploy", "--config", env.ConfigPath, "--tag", env.Scenario.Tag}
			for _, s := range env.Services {
				args = append(args, "--service", s.Name)
			}
			var stdout, stderr bytes.Buffer
			code := runWith(t.Context(), Build{Version: "test"}, args, iostreams.Test(&stdout, &stderr), d)

			if want := failure.ExitCode(demoErr); code != want || code != env.Scenario.Exit {
				t.Fatalf("deploy exit %d, demo exit %d, scenario documents %d\nstderr:\n%s", code, want, env.Scenario.Exit, stderr.String())
			}
			if len(viaDemo.trail) == 0 {
				t.Fatal("the demo emitted no events")
			}
			for svc, want := range viaDemo.trail {
				if got := viaCLI.trail[svc]; !slices.Equal(got, want) {
					t.Errorf("%s: deploy's events\n  %q\nwant the demo's\n  %q", svc, got, want)
				}
			}
			if len(viaCLI.trail) != len(viaDemo.trail) {
				t.Errorf("deploy reported %d trails, the demo %d", len(viaCLI.trail), len(viaDemo.trail))
			}
			t.Log("trails compared:", strconv.Itoa(len(viaDemo.trail)))
		})
	}
}
