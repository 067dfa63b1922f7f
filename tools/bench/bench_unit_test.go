package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/sim"
)

func TestSummarize(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	tests := []struct {
		name                  string
		in                    []time.Duration
		min, median, p95, max time.Duration
	}{
		{"one", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"unsorted four", ms(40, 10, 30, 20), 10 * time.Millisecond, 20 * time.Millisecond, 40 * time.Millisecond, 40 * time.Millisecond},
		{"twenty", ms(20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1),
			time.Millisecond, 10 * time.Millisecond, 19 * time.Millisecond, 20 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := summarize(tt.in)
			if s.N != len(tt.in) || s.Min != tt.min || s.Median != tt.median || s.P95 != tt.p95 || s.Max != tt.max {
				t.Fatalf("summarize = %+v, want min %s median %s p95 %s max %s", s, tt.min, tt.median, tt.p95, tt.max)
			}
		})
	}
	if s := summarize(nil); s.N != 0 {
		t.Fatalf("summarize(nil) = %+v", s)
	}
}

func TestGroupPolls(t *testing.T) {
	at := func(ms int) time.Time { return fakeStart.Add(time.Duration(ms) * time.Millisecond) }
	// Three polls of two, one and two calls, a second apart, then two
	// polls of one call two seconds apart.
	calls := []describeCall{
		{at: at(0), services: 10, op: "DescribeServices"}, {at: at(1), services: 3, op: "DescribeServices"},
		{at: at(1000), services: 10, op: "DescribeServices"},
		{at: at(2000), services: 10, op: "DescribeServices"}, {at: at(2002), services: 3, op: "DescribeServices"},
		{at: at(4000), services: 10, op: "DescribeServices"},
		{at: at(6000), services: 10, op: "DescribeServices"},
	}
	p := groupPolls(calls)
	if p.Polls != 5 || p.Calls != 7 || p.MaxCallsPerPoll != 2 || p.MaxPerCall != 10 {
		t.Fatalf("polls = %+v, want 5 polls, 7 calls, at most 2 per poll and 10 per call", p)
	}
	// Six calls in the six seconds before the last poll.
	if got := p.CallsPerSecond(); got != 1 {
		t.Fatalf("calls per second = %v, want 1", got)
	}
	// From 3 s on: the polls at 4 s and 6 s, one call in two seconds.
	if got := p.CallsPerSecondAfter(3 * time.Second); got != 0.5 {
		t.Fatalf("steady calls per second = %v, want 0.5", got)
	}
	if got := p.CallsPerSecondAfter(time.Hour); got != 0 {
		t.Fatalf("calls per second after the end = %v, want 0", got)
	}
}

func TestProxyCountsActions(t *testing.T) {
	var bodies []string
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		bodies = append(bodies, string(b))
		_, _ = w.Write([]byte("{}"))
	}))
	defer backend.Close()
	p, err := StartProxy(backend.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	auth := func(service string) string {
		return "AWS4-HMAC-SHA256 Credential=testing/20250301/us-east-1/" + service + "/aws4_request, SignedHeaders=host, Signature=x"
	}
	requests := []struct {
		service, target, body string
	}{
		{"ecs", "AmazonEC2ContainerServiceV20141113.DescribeServices", `{"cluster":"c"}`},
		{"ecs", "AmazonEC2ContainerServiceV20141113.DescribeServices", `{"cluster":"c"}`},
		{"sts", "", "Action=GetCallerIdentity&Version=2011-06-15"},
	}
	for _, r := range requests {
		req, _ := http.NewRequest(http.MethodPost, p.URL+"/", strings.NewReader(r.body))
		req.Header.Set("Authorization", auth(r.service))
		if r.target != "" {
			req.Header.Set("X-Amz-Target", r.target)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	got := p.Counts()
	if len(got) != 2 || got["ecs:DescribeServices"] != 2 || got["sts:GetCallerIdentity"] != 1 {
		t.Fatalf("counts = %v", got)
	}
	if len(bodies) != 3 || bodies[2] != requests[2].body {
		t.Fatalf("the backend got %q: the proxy must pass bodies on unchanged", bodies)
	}
	p.Reset()
	if len(p.Counts()) != 0 {
		t.Fatalf("counts after Reset = %v", p.Counts())
	}
}

// TestDeployOnceSimulated runs the harness's smallest deploy and checks
// what it reads back from the simulator. It runs in a synctest bubble on
// the real clock, so the latency is exact: the bench's own fake clock is
// driven by a loop that guesses when goroutines are idle, which a loaded
// machine fools.
func TestDeployOnceSimulated(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		o, err := deployOnce(context.Background(), clock.Real{}, scenario{desired: 1, rollout: sim.Slow(time.Millisecond)})
		if err != nil || o.err != nil {
			t.Fatalf("deploy: %v, %v", err, o.err)
		}
		if len(o.states) != 1 || o.states[0] != "COMPLETED" {
			t.Fatalf("states = %v, want one COMPLETED", o.states)
		}
		if o.calls["RegisterTaskDefinition"] != 1 || o.calls["UpdateService"] != 1 || o.polls.Calls < 1 {
			t.Fatalf("calls = %v, polls %+v", o.calls, o.polls)
		}
		// The deployment ended 1 ms after the update; the poll that saw it
		// came within the poll interval and its jitter.
		if l := o.latency(); l < 0 || l > 1200*time.Millisecond {
			t.Fatalf("latency = %s, want within one poll interval", l)
		}
	})
}

func TestSummaryJudgesTargets(t *testing.T) {
	r := Report{
		Latency: []Latency{
			{Outcome: "COMPLETED", Stats: Stats{N: 20, Median: 900 * time.Millisecond}},
			{Outcome: "FAILED", Stats: Stats{N: 20, Median: 1100 * time.Millisecond}},
		},
		Scale: []ScaleRow{
			{Services: 1, Wall: 10 * time.Second, Ratio: 1, Polls: Polls{Polls: 3, MaxCallsPerPoll: 1, MaxCallsPerClusterPoll: 1}},
			{Services: 20, Wall: 14 * time.Second, Ratio: 1.4, Polls: Polls{Polls: 3, MaxCallsPerPoll: 2, MaxCallsPerClusterPoll: 2}},
		},
		SDLatency: []Latency{
			{Outcome: "SUCCESSFUL", Stats: Stats{N: 20, Median: 600 * time.Millisecond}},
			{Outcome: "ROLLBACK_SUCCESSFUL", Stats: Stats{N: 20, Median: 1200 * time.Millisecond}},
		},
		PollCosts: []PollCost{
			{Services: 1, Legacy: Polls{Polls: 2, Calls: 2, MaxCallsPerPoll: 1}, SD: Polls{Polls: 2, Calls: 2, MaxCallsPerPoll: 1}},
			{Services: 20, Legacy: Polls{Polls: 2, Calls: 4, MaxCallsPerPoll: 2}, SD: Polls{Polls: 2, Calls: 2, MaxCallsPerPoll: 1}},
		},
	}
	lines := strings.Split(r.Summary(), "\n")
	want := map[string]string{
		"Detection latency, COMPLETED":                               "| yes |",
		"Detection latency, FAILED":                                  "| **NO** |",
		"DescribeServices calls per":                                 "| yes |",
		"Wall time, 20 svc":                                          "| **NO** |",
		"Detection latency, service deployment SUCCESSFUL ":          "| yes |",
		"Detection latency, service deployment ROLLBACK_SUCCESSFUL ": "| **NO** |",
		"Calls per poll, service deployments vs deployments[]":       "| yes |",
	}
	for prefix, verdict := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, "| "+prefix) {
				found = true
				if !strings.Contains(l, verdict) {
					t.Errorf("%s: %q, want %s", prefix, l, verdict)
				}
			}
		}
		if !found {
			t.Errorf("no row for %s in\n%s", prefix, r.Summary())
		}
	}
}

// TestPollCostRowFailsAnEngineThatCostsMore: a poll of the
// service-deployment engine that makes more calls than deployments[] is a
// missed target.
func TestPollCostRowFailsAnEngineThatCostsMore(t *testing.T) {
	r := Report{PollCosts: []PollCost{
		{Services: 20, Legacy: Polls{Polls: 2, Calls: 4, MaxCallsPerPoll: 2}, SD: Polls{Polls: 2, Calls: 6, MaxCallsPerPoll: 3}},
	}}
	row, ok := r.pollCostRow()
	if !ok || row.ok == nil || *row.ok {
		t.Fatalf("row %+v: want a missed target", row)
	}
	if _, ok := (Report{}).pollCostRow(); ok {
		t.Error("a row without measurements")
	}
}

// Each of issue 16's targets is judged from the figures: a row per target,
// holding or not.
func TestTargetsJudge(t *testing.T) {
	one := scale1()
	tests := []struct {
		name string
		r    Report
		want map[string]string // row prefix -> verdict
	}{
		{
			name: "all hold",
			r: Report{
				MotoRuns: []MotoRuns{{
					Services: 20, Full: Stats{N: 9, Median: 900 * time.Millisecond}, Skip: Stats{N: 9, Median: 760 * time.Millisecond},
					CLI:       Stats{N: 3, Median: 13 * time.Second},
					FullCalls: map[string]int{"ecs:DescribeTaskDefinition": 20, "ecs:DescribeServices": 5, "ecs:DescribeClusters": 1, "sts:GetCallerIdentity": 1, "iam:SimulatePrincipalPolicy": 1},
					SkipCalls: map[string]int{"ecs:DescribeTaskDefinition": 20, "ecs:DescribeServices": 6},
				}},
				Scale:  []ScaleRow{one, {Services: 200, Clusters: 10, Wall: 11 * time.Second, Ratio: 1.1, Polls: Polls{Polls: 9, MaxCallsPerClusterPoll: 2}}},
				Binary: &BinaryResult{Size: 33e6, Version: Stats{N: 20, Median: 15 * time.Millisecond}, Deploy: BinaryDeploy{Services: 200, Clusters: 10, RSS: 60e6}},
			},
			want: map[string]string{
				"A full deploy costs": "| yes |", "Every AWS read": "| yes |", "200 svc in 10 clusters in one run": "| yes |",
				"200 svc in 10 clusters: DescribeServices": "| yes |", "Peak RSS": "| yes |", "Start-up": "| yes |",
				"The binary at most": "| yes |", "The aws CLI": "| yes |",
			},
		},
		{
			name: "none hold",
			r: Report{
				MotoRuns: []MotoRuns{{
					Services: 1, Full: Stats{N: 9, Median: 580 * time.Millisecond}, Skip: Stats{N: 9, Median: 60 * time.Millisecond},
					FullCalls: map[string]int{"ecs:DescribeTaskDefinition": 2, "ecs:DescribeServices": 3, "iam:SimulatePrincipalPolicy": 1},
					SkipCalls: map[string]int{"ecs:DescribeTaskDefinition": 1, "ecs:DescribeServices": 2},
				}},
				Scale:  []ScaleRow{one, {Services: 200, Clusters: 10, Wall: 16 * time.Second, Ratio: 1.6, Polls: Polls{Polls: 9, MaxCallsPerClusterPoll: 3}}},
				Binary: &BinaryResult{Size: 36e6, Version: Stats{N: 20, Median: 21 * time.Millisecond}, Deploy: BinaryDeploy{Services: 200, Clusters: 10, RSS: 81e6}},
			},
			want: map[string]string{
				"A full deploy costs": "| **NO** |", "Every AWS read": "| **NO** |", "200 svc in 10 clusters in one run": "| **NO** |",
				"200 svc in 10 clusters: DescribeServices": "| **NO** |", "Peak RSS": "| **NO** |", "Start-up": "| **NO** |",
				"The binary at most": "| **NO** |", "The aws CLI": "| not measured |",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			table := tt.r.Targets()
			for prefix, verdict := range tt.want {
				found := false
				for _, l := range strings.Split(table, "\n") {
					if strings.HasPrefix(l, "| "+prefix) {
						found = true
						if !strings.HasSuffix(l, verdict) {
							t.Errorf("%s: %q, want %s", prefix, l, verdict)
						}
					}
				}
				if !found {
					t.Errorf("no row for %s in\n%s", prefix, table)
				}
			}
		})
	}
}

// scale1 is a one-service scale row, the base of the ratios.
func scale1() ScaleRow {
	return ScaleRow{Services: 1, Clusters: 1, Wall: 10 * time.Second, Ratio: 1, Polls: Polls{Polls: 9, MaxCallsPerClusterPoll: 1}}
}
