package app

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

// putScheduledRule creates a rule with two ECS targets: one running
// taskDef, and one of another family that no deploy of the service may
// touch.
func putScheduledRule(t *testing.T, c *awsx.Clients, rule, taskDef string) {
	t.Helper()
	putScheduledRuleOn(t, c, rule, "arn:aws:ecs:us-east-1:123456789012:cluster/jobs", taskDef)
}

// putScheduledRuleOn is putScheduledRule with the targets on cluster.
func putScheduledRuleOn(t *testing.T, c *awsx.Clients, rule, cluster, taskDef string) {
	t.Helper()
	ctx, eb := testenv.Ctx(t), c.EventBridge()
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String(rule), ScheduleExpression: aws.String("rate(1 hour)")}); err != nil {
		t.Fatal(err)
	}
	target := func(id, td string) ebtypes.Target {
		return ebtypes.Target{
			Id: aws.String(id), Arn: aws.String(cluster),
			RoleArn: aws.String("arn:aws:iam::123456789012:role/events-ecs"), Input: aws.String(`{"containerOverrides":[{"name":"app","command":["bin/report"]}]}`),
			EcsParameters: &ebtypes.EcsParameters{TaskDefinitionArn: aws.String(td), TaskCount: aws.Int32(1), LaunchType: ebtypes.LaunchTypeFargate},
		}
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String(rule), Targets: []ebtypes.Target{
		target("report", taskDef), target("other", "arn:aws:ecs:us-east-1:123456789012:task-definition/other-family:3"),
	}}); err != nil {
		t.Fatal(err)
	}
}

// scheduledTargets are the rule's targets by ID: task definition and input.
func scheduledTargets(t *testing.T, c *awsx.Clients, rule string) map[string]string {
	t.Helper()
	out, err := c.EventBridge().ListTargetsByRule(testenv.Ctx(t), &eventbridge.ListTargetsByRuleInput{Rule: aws.String(rule)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tg := range out.Targets {
		td := ""
		if tg.EcsParameters != nil {
			td = aws.ToString(tg.EcsParameters.TaskDefinitionArn)
		}
		got[aws.ToString(tg.Id)] = td + " " + aws.ToString(tg.Input)
	}
	return got
}

func TestScheduledRulesFollowDeployAndRollbackAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	rule := testenv.Unique("nightly")
	putScheduledRule(t, c, rule, f.TaskDefinition)
	before := scheduledTargets(t, c, rule)
	input := strings.SplitN(before["report"], " ", 2)[1]
	cfg := scheduledConfig(t, f, rule)

	code, d, stderr := runMoto(t, cfg, "deploy", "--image", "repo/app:v2")
	if code != 0 || len(d.Services) != 1 {
		t.Fatalf("deploy: exit %d, doc %+v\nstderr:\n%s", code, d, stderr)
	}
	newRev := d.Services[0].TaskDefinition
	if !strings.HasSuffix(newRev, ":2") {
		t.Fatalf("deployed %s, want revision 2", newRev)
	}
	after := scheduledTargets(t, c, rule)
	if want := newRev + " " + input; after["report"] != want {
		t.Fatalf("after deploy the target is %q, want %q", after["report"], want)
	}
	if after["other"] != before["other"] {
		t.Fatalf("a target of another family changed: %q, was %q", after["other"], before["other"])
	}
	if !checkPassed(d, "events.rules") {
		t.Errorf("preflight did not pass events.rules: %+v", d.Checks)
	}

	code, d, stderr = runMoto(t, cfg, "rollback")
	if code != 0 {
		t.Fatalf("rollback: exit %d, doc %+v\nstderr:\n%s", code, d, stderr)
	}
	back := scheduledTargets(t, c, rule)
	if want := f.TaskDefinition + " " + input; back["report"] != want {
		t.Fatalf("after rollback the target is %q, want %q", back["report"], want)
	}
	if back["other"] != before["other"] {
		t.Fatalf("a target of another family changed: %q, was %q", back["other"], before["other"])
	}
}

func TestPreflightMissingScheduledRuleAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	present, missing := testenv.Unique("present"), testenv.Unique("missing")
	putScheduledRule(t, c, present, f.TaskDefinition)
	cfg := scheduledConfig(t, f, present, missing)

	code, d, stderr := runMoto(t, cfg, "deploy", "--image", "repo/app:v2")
	if code != 3 {
		t.Fatalf("exit %d, want 3\nstderr:\n%s", code, stderr)
	}
	for _, ch := range d.Checks {
		if ch.ID != "events.rules" {
			continue
		}
		if ch.Status != "fail" || !strings.Contains(ch.Message, missing) || strings.Contains(ch.Message, present) || ch.Fix == "" {
			t.Fatalf("events.rules = %+v; want a failure naming only %s, with a fix", ch, missing)
		}
		if got := scheduledTargets(t, c, present)["report"]; !strings.HasPrefix(got, f.TaskDefinition+" ") {
			t.Fatalf("a failed preflight moved the rule: %q", got)
		}
		return
	}
	t.Fatalf("no events.rules check: %+v", d.Checks)
}

func TestInitFindsScheduledRulesAgainstMoto(t *testing.T) {
	c := testenv.Moto(t)
	f := testenv.NewFixture(t, c, testenv.FixtureOptions{})
	cluster := aws.ToString(describe(t, c, f).ClusterArn)
	mine, other := testenv.Unique("mine"), testenv.Unique("other")
	putScheduledRuleOn(t, c, mine, cluster, f.TaskDefinition)
	putScheduledRuleOn(t, c, other, cluster, "arn:aws:ecs:us-east-1:123456789012:task-definition/"+testenv.Unique("fam")+":1")

	path := filepath.Join(t.TempDir(), "omdeploy.yaml")
	code, _, stderr := run(t, "init", "--config", path, "--endpoint-url", testenv.MotoEndpoint(t), "--region", testenv.MotoRegion,
		"--cluster", f.Cluster, "--service", f.Service)
	if code != 0 {
		t.Fatalf("init: exit %d\n%s", code, stderr)
	}
	cfg, err := config.Load(path, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Services[0].Scheduled; len(got) != 1 || got[0].Rule != mine {
		t.Fatalf("scheduled = %+v, want only %s", got, mine)
	}
}

// scheduledConfig is motoConfig with the service's `scheduled:` rules.
func scheduledConfig(t *testing.T, f testenv.Fixture, rules ...string) string {
	t.Helper()
	return writeConfig(t, fmt.Sprintf("region: us-east-1\nservices:\n  - name: web\n    cluster: %s\n    service: %s\n    container: app\n    wait_timeout: 20s\n    scheduled: [%s]\n",
		f.Cluster, f.Service, strings.Join(rules, ", ")))
}

func checkPassed(d doc, id string) bool {
	for _, ch := range d.Checks {
		if ch.ID == id {
			return ch.Status == "pass"
		}
	}
	return false
}
