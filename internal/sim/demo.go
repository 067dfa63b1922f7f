package sim

import (
	"time"

	"github.com/omdeploy/omdeploy/internal/clock"
)

// DemoCluster is the cluster of NewDemo's services.
const DemoCluster = "demo"

// Image tags NewDemo scripts; any other tag rolls out healthy.
const (
	DemoTagCrash    = "crash"    // the app exits 1 after logging a database error
	DemoTagMissing  = "missing"  // the image cannot be pulled
	DemoTagNoSecret = "nosecret" // an SSM parameter the task reads is missing
	DemoTagFull     = "full"     // no capacity to place tasks
	DemoTagSlow     = "slow"     // each task takes two minutes to start
)

// NewDemo returns an account for `omdeploy demo`: cluster "demo" with
// services "web" (3 tasks, circuit breaker with rollback, behind a load
// balancer's target group "demo-web" on port 8080), "api" (2 tasks,
// circuit breaker) and "worker" (1 task), their log groups and the SSM
// parameter /demo/api/DB_PASSWORD. Deploying an image with one of the
// DemoTag* tags shows that failure; other tags roll out in about ten seconds
// on clock.Real.
func NewDemo(clk clock.Clock) *Sim { return newDemo(clk, "demo") }

// DemoPlatforms are the platforms every image NewDemoECR pushes offers.
var DemoPlatforms = []string{"linux/amd64", "linux/arm64"}

// NewDemoECR is NewDemo with the services' images in the account's own ECR
// registry (Registry/demo/NAME) rather than named as Docker Hub images, so
// that preflight's images.exist can prove them without a network: every
// DemoTag* tag and v1, v2 and v3 are pushed for each, except DemoTagMissing,
// which is never pushed.
func NewDemoECR(clk clock.Clock) *Sim {
	s := newDemo(clk, Registry+"/demo")
	for _, name := range []string{"web", "api", "worker"} {
		for _, tag := range []string{"v1", "v2", "v3", DemoTagCrash, DemoTagNoSecret, DemoTagFull, DemoTagSlow} {
			s.PushImage(Registry+"/demo/"+name+":"+tag, DemoPlatforms...)
		}
	}
	return s
}

// newDemo builds the demo account with images under prefix (PREFIX/NAME:v1).
func newDemo(clk clock.Clock, prefix string) *Sim {
	s := New(clk)
	s.AddService(ServiceSpec{Cluster: DemoCluster, Name: "web", Desired: 3, CircuitBreaker: true, BreakerRollback: true, Image: prefix + "/web:v1", Port: 8080})
	// web is behind an ALB whose target group checks a health endpoint the
	// demo's config declares, so preflight's lb.target-groups has wiring
	// to prove.
	s.AttachTargetGroup(DemoCluster, "web", s.AddTargetGroup(TargetGroupSpec{Name: "demo-web", HealthPath: "/healthz"}), "app", 8080)
	s.AddService(ServiceSpec{Cluster: DemoCluster, Name: "api", Desired: 2, CircuitBreaker: true, Image: prefix + "/api:v1"})
	s.AddService(ServiceSpec{Cluster: DemoCluster, Name: "worker", Desired: 1, Image: prefix + "/worker:v1"})
	s.AddParameter("/demo/api/DB_PASSWORD")
	s.OnTag(DemoTagCrash, CrashLoop(1,
		"level=info msg=\"starting\" version=crash",
		"level=info msg=\"connecting to database\" host=db.demo.internal:5432",
		"level=error msg=\"database unreachable\" err=\"dial tcp 10.0.3.7:5432: connect: connection refused\"",
		"level=fatal msg=\"exiting\" code=1"))
	s.OnTag(DemoTagMissing, PullError())
	s.OnTag(DemoTagNoSecret, SecretsError("/demo/api/DB_PASSWORD_V2"))
	s.OnTag(DemoTagFull, NoCapacity())
	s.OnTag(DemoTagSlow, Slow(2*time.Minute))
	return s
}
