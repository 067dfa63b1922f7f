package sim

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/omdeploy/omdeploy/internal/awsx"
)

func TestFailAndRunningTasks(t *testing.T) {
	s := newSim(t)
	s.AddService(ServiceSpec{Cluster: "prod", Name: "api", Desired: 2})
	s.AddService(ServiceSpec{Cluster: "prod", Name: "worker", Desired: 1})
	ctx := context.Background()
	if _, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("before Fail: %v", err)
	}

	s.Fail("GetCallerIdentity", "ExpiredToken", "The security token included in the request is expired")
	for range 2 {
		_, err := s.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if awsx.Classify(err) != awsx.KindExpired || awsx.Code(err) != "ExpiredToken" {
			t.Fatalf("after Fail: %v (kind %v)", err, awsx.Classify(err))
		}
	}
	out, err := s.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"prod"}})
	if err != nil {
		t.Fatalf("another action failed too: %v", err)
	}
	if c := out.Clusters[0]; c.RunningTasksCount != 3 || c.ActiveServicesCount != 2 || aws.ToString(c.Status) != "ACTIVE" {
		t.Fatalf("cluster = %d running tasks, %d services, %s", c.RunningTasksCount, c.ActiveServicesCount, aws.ToString(c.Status))
	}
	if got := s.Calls()["GetCallerIdentity"]; got != 3 {
		t.Fatalf("GetCallerIdentity calls = %d, want 3 (failed calls count)", got)
	}
}
