package sim

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

// observation is what one look at a service deployment showed.
type observation struct {
	status           ecstypes.ServiceDeploymentStatus
	stage            ecstypes.ServiceDeploymentLifecycleStage
	prod, test       float64
	legacy           string // the deployment's rolloutState in deployments[]
	reason, rbReason string
	triggered        []string
	hooks            []string
	failures         int32
}

func (o observation) String() string {
	return fmt.Sprintf("%s/%s prod=%v test=%v legacy=%s", o.status, o.stage, o.prod, o.test, o.legacy)
}

// follow looks at the service deployment every second until it ends
// (SUCCESSFUL with the legacy deployment COMPLETED, or another final
// status), calling poke on each look, and returns every look.
func follow(t *testing.T, s *Sim, arn, legacyID string, poke func(observation)) []observation {
	t.Helper()
	ctx := context.Background()
	var seen []observation
	for range 3600 {
		out, err := s.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{arn}})
		if err != nil || len(out.ServiceDeployments) != 1 {
			t.Fatalf("describe %s: %v %+v", arn, err, out)
		}
		sd := out.ServiceDeployments[0]
		o := observation{status: sd.Status, stage: sd.LifecycleStage, reason: aws.ToString(sd.StatusReason)}
		if w := sd.TargetServiceRevision.RequestedProductionTrafficWeight; w != nil {
			o.prod, o.test = *w, aws.ToFloat64(sd.TargetServiceRevision.RequestedTestTrafficWeight)
		}
		if sd.Rollback != nil {
			o.rbReason = aws.ToString(sd.Rollback.Reason)
		}
		if sd.Alarms != nil {
			o.triggered = sd.Alarms.TriggeredAlarmNames
		}
		if sd.DeploymentCircuitBreaker != nil {
			o.failures = sd.DeploymentCircuitBreaker.FailureCount
		}
		for _, h := range sd.LifecycleHookDetails {
			o.hooks = append(o.hooks, aws.ToString(h.HookId)+":"+string(h.Status))
		}
		svc := describe(t, s, lastSegment(aws.ToString(sd.ServiceArn)))
		for _, d := range svc.Deployments {
			if aws.ToString(d.Id) == legacyID {
				o.legacy = string(d.RolloutState)
			}
		}
		seen = append(seen, o)
		if poke != nil {
			poke(o)
		}
		switch o.status {
		case ecstypes.ServiceDeploymentStatusSuccessful:
			if o.legacy == "COMPLETED" {
				return seen
			}
		case ecstypes.ServiceDeploymentStatusStopped, ecstypes.ServiceDeploymentStatusRollbackSuccessful, ecstypes.ServiceDeploymentStatusRollbackFailed:
			return seen
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("service deployment %s did not end: %v", arn, seen[len(seen)-1])
	return nil
}

// stages lists the distinct lifecycle stages seen, in order.
func stages(seen []observation) []string {
	var out []string
	for _, o := range seen {
		if len(out) == 0 || out[len(out)-1] != string(o.stage) {
			out = append(out, string(o.stage))
		}
	}
	return out
}

// weights lists the distinct production weights seen, in order.
func weights(seen []observation) []float64 {
	var out []float64
	for _, o := range seen {
		if len(out) == 0 || out[len(out)-1] != o.prod {
			out = append(out, o.prod)
		}
	}
	return out
}

func TestServiceDeploymentStrategies(t *testing.T) {
	bg := []string{"PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
		"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "POST_PRODUCTION_TRAFFIC_SHIFT", "BAKE_TIME", "CLEAN_UP"}
	tests := []struct {
		name        string
		strategy    Strategy
		wantStages  []string
		wantWeights []float64
		minTook     time.Duration
	}{
		{
			name:        "rolling",
			strategy:    Strategy{},
			wantStages:  []string{"SCALE_UP", "CLEAN_UP"}, // clean-up takes no time: the scale-up drained the old tasks
			wantWeights: []float64{0},
		},
		{
			name:       "rolling with bake time",
			strategy:   Strategy{BakeTime: time.Minute},
			wantStages: []string{"SCALE_UP", "BAKE_TIME", "CLEAN_UP"}, wantWeights: []float64{0}, minTook: time.Minute,
		},
		{
			name:       "blue/green",
			strategy:   Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, BakeTime: 2 * time.Minute},
			wantStages: bg, wantWeights: []float64{0, 100}, minTook: 2 * time.Minute,
		},
		{
			name:     "linear",
			strategy: Strategy{Kind: ecstypes.DeploymentStrategyLinear, StepPercent: 25, StepBake: time.Minute},
			wantStages: []string{"PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
				"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
				"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
				"POST_PRODUCTION_TRAFFIC_SHIFT", "CLEAN_UP"},
			wantWeights: []float64{0, 25, 50, 75, 100}, minTook: 3 * time.Minute,
		},
		{
			name:     "canary",
			strategy: Strategy{Kind: ecstypes.DeploymentStrategyCanary, CanaryPct: 5, CanaryBake: 10 * time.Minute},
			wantStages: []string{"PRE_SCALE_UP", "SCALE_UP", "POST_SCALE_UP", "TEST_TRAFFIC_SHIFT", "POST_TEST_TRAFFIC_SHIFT",
				"PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT", "PRE_PRODUCTION_TRAFFIC_SHIFT", "PRODUCTION_TRAFFIC_SHIFT",
				"POST_PRODUCTION_TRAFFIC_SHIFT", "CLEAN_UP"},
			wantWeights: []float64{0, 5, 100}, minTook: 10 * time.Minute,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t)
				s.AddService(ServiceSpec{Cluster: "prod", Name: "api", Desired: 2})
				s.SetStrategy("prod", "api", tt.strategy)
				start := time.Now()
				id := deployNew(t, s, "api", "demo/api:v2")
				svc := describe(t, s, "api")
				arn := aws.ToString(svc.CurrentServiceDeployment)
				if !strings.Contains(arn, ":service-deployment/prod/api/") {
					t.Fatalf("currentServiceDeployment = %q", arn)
				}
				if got := svc.DeploymentConfiguration.Strategy; got != tt.strategy.withDefaults().Kind {
					t.Errorf("strategy = %s", got)
				}
				seen := follow(t, s, arn, id, nil)
				if got := stages(seen); !slices.Equal(got, tt.wantStages) {
					t.Errorf("stages:\n got %v\nwant %v", got, tt.wantStages)
				}
				if got := weights(seen); !slices.Equal(got, tt.wantWeights) {
					t.Errorf("production weights: got %v, want %v", got, tt.wantWeights)
				}
				if took := time.Since(start); took < tt.minTook {
					t.Errorf("took %s, want at least %s", took, tt.minTook)
				}
				if len(describe(t, s, "api").Deployments) != 1 {
					t.Errorf("legacy view: %s, want the new deployment alone", deploymentStates(describe(t, s, "api")))
				}
			})
		})
	}
}

func TestServiceDeploymentFailures(t *testing.T) {
	tests := []struct {
		name     string
		spec     ServiceSpec
		strategy Strategy
		rollout  Rollout
		poke     func(t *testing.T, s *Sim, o observation)

		wantStatus    ecstypes.ServiceDeploymentStatus
		wantInReason  string
		wantTriggered []string
		wantLegacy    string // the followed deployment's last rolloutState in deployments[]
		wantTaskDef   string // the service's task definition at the end
		wantSeen      ecstypes.ServiceDeploymentStatus
	}{
		{
			name: "circuit breaker rolls back", spec: ServiceSpec{CircuitBreaker: true, BreakerRollback: true},
			rollout:    CrashLoop(1),
			wantStatus: ecstypes.ServiceDeploymentStatusRollbackSuccessful, wantInReason: "circuit breaker",
			wantLegacy: "FAILED", wantTaskDef: "api:1", wantSeen: ecstypes.ServiceDeploymentStatusRollbackInProgress,
		},
		{
			name: "circuit breaker without rollback stops", spec: ServiceSpec{CircuitBreaker: true},
			rollout:    CrashLoop(1),
			wantStatus: ecstypes.ServiceDeploymentStatusStopped, wantInReason: "circuit breaker",
			wantLegacy: "FAILED", wantTaskDef: "api:2",
		},
		{
			name: "rollback fails", spec: ServiceSpec{CircuitBreaker: true, BreakerRollback: true},
			rollout:    PullError().RollbackFails(),
			wantStatus: ecstypes.ServiceDeploymentStatusRollbackFailed, wantInReason: "rollback failed",
			wantLegacy: "FAILED", wantTaskDef: "api:1",
		},
		{
			name:       "alarm rolls back a blue/green deployment",
			strategy:   Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, Alarms: []string{"api-5xx", "api-latency"}, AlarmRollback: true, BakeTime: 5 * time.Minute},
			rollout:    Healthy().AlarmAfter("api-5xx", time.Minute),
			wantStatus: ecstypes.ServiceDeploymentStatusRollbackSuccessful, wantInReason: "api-5xx",
			wantTriggered: []string{"api-5xx"}, wantLegacy: "FAILED", wantTaskDef: "api:1",
		},
		{
			name:       "alarm without rollback stops",
			strategy:   Strategy{Kind: ecstypes.DeploymentStrategyCanary, Alarms: []string{"api-5xx"}, CanaryBake: 5 * time.Minute},
			rollout:    Healthy().AlarmAfter("api-5xx", time.Minute),
			wantStatus: ecstypes.ServiceDeploymentStatusStopped, wantInReason: "api-5xx", wantTriggered: []string{"api-5xx"},
			wantLegacy: "FAILED", wantTaskDef: "api:2",
		},
		{
			name:       "stopped by ECS",
			rollout:    Slow(time.Minute).StoppedAfter(30*time.Second, "Service deployment stopped: a task set could not be created."),
			wantStatus: ecstypes.ServiceDeploymentStatusStopped, wantInReason: "task set could not be created",
			wantLegacy: "FAILED", wantTaskDef: "api:2",
		},
		{
			name:       "replaced by a newer deployment",
			rollout:    ReplacedAfter(5 * time.Second),
			wantStatus: ecstypes.ServiceDeploymentStatusStopped, wantInReason: "a newer service deployment",
			wantLegacy: "IN_PROGRESS", wantTaskDef: "api:2",
		},
		{
			name:     "PAUSE hook waits until continued",
			strategy: Strategy{Kind: ecstypes.DeploymentStrategyBlueGreen, PauseAt: []ecstypes.DeploymentLifecycleHookStage{"POST_TEST_TRAFFIC_SHIFT"}},
			poke: func(t *testing.T, s *Sim, o observation) {
				if o.stage != "POST_TEST_TRAFFIC_SHIFT" || len(o.hooks) == 0 || !strings.HasSuffix(o.hooks[0], ":AWAITING_ACTION") {
					return
				}
				if o.prod != 0 || o.test != 100 {
					t.Errorf("waiting at the hook with prod=%v test=%v", o.prod, o.test)
				}
				time.Sleep(10 * time.Minute) // it keeps waiting
				arn, hookID := s.WaitingHook("prod", "api")
				if hookID == "" {
					t.Fatal("no hook waiting after 10 minutes")
				}
				if _, err := s.ContinueServiceDeployment(context.Background(), &ecs.ContinueServiceDeploymentInput{
					ServiceDeploymentArn: aws.String(arn), HookId: aws.String(hookID), Action: ecstypes.DeploymentLifecycleHookActionContinue,
				}); err != nil {
					t.Fatal(err)
				}
			},
			wantStatus: ecstypes.ServiceDeploymentStatusSuccessful, wantLegacy: "COMPLETED", wantTaskDef: "api:2",
		},
		{
			name:       "PAUSE hook times out and rolls back",
			strategy:   Strategy{Kind: ecstypes.DeploymentStrategyLinear, PauseAt: []ecstypes.DeploymentLifecycleHookStage{"POST_SCALE_UP"}, HookTimeout: 5 * time.Minute},
			wantStatus: ecstypes.ServiceDeploymentStatusRollbackSuccessful, wantInReason: "timed out",
			wantLegacy: "FAILED", wantTaskDef: "api:1",
		},
		{
			name: "StopServiceDeployment ROLLBACK",
			poke: func(t *testing.T, s *Sim, o observation) {
				if o.status != ecstypes.ServiceDeploymentStatusInProgress {
					return
				}
				stop(t, s, ecstypes.StopServiceDeploymentStopTypeRollback, ecstypes.ServiceDeploymentStatusRollbackRequested)
			},
			rollout:    Slow(time.Minute),
			wantStatus: ecstypes.ServiceDeploymentStatusRollbackSuccessful, wantInReason: "StopServiceDeployment (ROLLBACK)",
			wantLegacy: "FAILED", wantTaskDef: "api:1", wantSeen: ecstypes.ServiceDeploymentStatusRollbackInProgress,
		},
		{
			name: "StopServiceDeployment ABORT",
			poke: func(t *testing.T, s *Sim, o observation) {
				if o.status != ecstypes.ServiceDeploymentStatusInProgress {
					return
				}
				stop(t, s, ecstypes.StopServiceDeploymentStopTypeAbort, ecstypes.ServiceDeploymentStatusStopRequested)
			},
			rollout:    Slow(time.Minute),
			wantStatus: ecstypes.ServiceDeploymentStatusStopped, wantInReason: "ABORT",
			wantLegacy: "FAILED", wantTaskDef: "api:2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s := newSim(t)
				spec := tt.spec
				spec.Cluster, spec.Name, spec.Desired = "prod", "api", 2
				s.AddService(spec)
				s.SetStrategy("prod", "api", tt.strategy)
				s.Script("prod", "api", tt.rollout)
				id := deployNew(t, s, "api", "demo/api:v2")
				arn := aws.ToString(describe(t, s, "api").CurrentServiceDeployment)
				var poke func(observation)
				if tt.poke != nil {
					poke = func(o observation) { tt.poke(t, s, o) }
				}
				seen := follow(t, s, arn, id, poke)
				last := seen[len(seen)-1]
				legacy := ""
				for _, o := range seen {
					if o.legacy != "" { // a rolled-back deployment leaves deployments[] at the end
						legacy = o.legacy
					}
				}
				if last.status != tt.wantStatus || !strings.Contains(last.reason+" "+last.rbReason, tt.wantInReason) {
					t.Errorf("ended %s %q (rollback %q), want %s with %q", last.status, last.reason, last.rbReason, tt.wantStatus, tt.wantInReason)
				}
				if !slices.Equal(last.triggered, tt.wantTriggered) {
					t.Errorf("triggered alarms %v, want %v", last.triggered, tt.wantTriggered)
				}
				if tt.wantSeen != "" && !slices.ContainsFunc(seen, func(o observation) bool { return o.status == tt.wantSeen }) {
					t.Errorf("never saw %s: %v", tt.wantSeen, seen)
				}
				// The legacy view agrees: the deployment's own state, and
				// (once everything settled) the revision the service runs.
				if legacy != tt.wantLegacy {
					t.Errorf("legacy rolloutState %q, want %q", legacy, tt.wantLegacy)
				}
				time.Sleep(10 * time.Minute)
				if got := describe(t, s, "api").TaskDefinition; !strings.HasSuffix(aws.ToString(got), "/"+tt.wantTaskDef) {
					t.Errorf("service runs %s, want %s", aws.ToString(got), tt.wantTaskDef)
				}
			})
		})
	}
}

// stop calls StopServiceDeployment on the service's current deployment and
// checks the status it answers with right after.
func stop(t *testing.T, s *Sim, how ecstypes.StopServiceDeploymentStopType, want ecstypes.ServiceDeploymentStatus) {
	t.Helper()
	ctx := context.Background()
	arn := describe(t, s, "api").CurrentServiceDeployment
	if _, err := s.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: arn, StopType: how}); err != nil {
		t.Fatal(err)
	}
	out, err := s.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{aws.ToString(arn)}})
	if err != nil || out.ServiceDeployments[0].Status != want {
		t.Errorf("after StopServiceDeployment(%s): %v %+v, want %s", how, err, out, want)
	}
	if _, err := s.StopServiceDeployment(ctx, &ecs.StopServiceDeploymentInput{ServiceDeploymentArn: arn, StopType: how}); awsx.Code(err) != "ConflictException" {
		t.Errorf("second StopServiceDeployment: %v, want ConflictException", err)
	}
}

func TestServiceDeploymentCircuitBreakerCounts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := newSim(t)
		s.AddService(ServiceSpec{Cluster: "prod", Name: "api", Desired: 4, CircuitBreaker: true, BreakerRollback: true})
		s.Script("prod", "api", CrashLoop(1))
		id := deployNew(t, s, "api", "demo/api:v2")
		arn := aws.ToString(describe(t, s, "api").CurrentServiceDeployment)
		var counts []int32
		follow(t, s, arn, id, func(o observation) {
			if len(counts) == 0 || counts[len(counts)-1] != o.failures {
				counts = append(counts, o.failures)
			}
		})
		if want := []int32{0, 1, 2, 3}; !slices.Equal(counts, want) {
			t.Errorf("failure counts %v, want %v (threshold 3)", counts, want)
		}
	})
}

func TestDescribeAndListServiceDeployments(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := context.Background()
		s := newSim(t)
		s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
		s.AddService(ServiceSpec{Cluster: "prod", Name: "web"})
		deployNew(t, s, "api", "demo/api:v2")
		time.Sleep(time.Second)
		deployNew(t, s, "api", "demo/api:v3")
		api, web := describe(t, s, "api"), describe(t, s, "web")
		missing := "arn:aws:ecs:us-east-1:123456789012:service-deployment/prod/api/1"
		out, err := s.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{
			ServiceDeploymentArns: []string{aws.ToString(api.CurrentServiceDeployment), missing, aws.ToString(web.CurrentServiceDeployment)},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.ServiceDeployments) != 2 || len(out.Failures) != 1 || aws.ToString(out.Failures[0].Reason) != "MISSING" || aws.ToString(out.Failures[0].Arn) != missing {
			t.Errorf("described %d, failures %+v", len(out.ServiceDeployments), out.Failures)
		}
		_, err = s.DescribeServiceDeployments(ctx, &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: make([]string, 21)})
		if awsx.Code(err) != "InvalidParameterException" {
			t.Errorf("21 ARNs: %v, want InvalidParameterException", err)
		}

		list, err := s.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{Cluster: aws.String("prod"), Service: aws.String("api")})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, b := range list.ServiceDeployments {
			got = append(got, string(b.Status))
		}
		// Newest first: v3 in progress, v2 stopped by it, the first one done.
		if want := []string{"IN_PROGRESS", "STOPPED", "SUCCESSFUL"}; !slices.Equal(got, want) {
			t.Errorf("listed %v, want %v", got, want)
		}
		if aws.ToString(list.ServiceDeployments[0].ServiceDeploymentArn) != aws.ToString(api.CurrentServiceDeployment) {
			t.Errorf("newest listed is not the current one")
		}
		list, err = s.ListServiceDeployments(ctx, &ecs.ListServiceDeploymentsInput{
			Cluster: aws.String("prod"), Service: aws.String("api"), Status: []ecstypes.ServiceDeploymentStatus{ecstypes.ServiceDeploymentStatusInProgress},
		})
		if err != nil || len(list.ServiceDeployments) != 1 {
			t.Errorf("filter by status: %v %+v", err, list)
		}
	})
}

func TestWithoutServiceDeployments(t *testing.T) {
	s := newSim(t)
	s.AddService(ServiceSpec{Cluster: "prod", Name: "api"})
	s.WithoutServiceDeployments()
	deployNew(t, s, "api", "demo/api:v2")
	if arn := describe(t, s, "api").CurrentServiceDeployment; arn != nil {
		t.Errorf("currentServiceDeployment = %s, want none", *arn)
	}
	_, err := s.DescribeServiceDeployments(context.Background(), &ecs.DescribeServiceDeploymentsInput{ServiceDeploymentArns: []string{"x"}})
	if awsx.Code(err) != "UnknownOperationException" {
		t.Errorf("DescribeServiceDeployments: %v, want UnknownOperationException", err)
	}
}
