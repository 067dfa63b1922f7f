package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

type cluster struct {
	name, arn string
	services  map[string]*service
	order     []string
	tasks     []*ecstypes.Task
	noSD      bool // WithoutServiceDeployments
}

type service struct {
	name, arn   string
	cluster     *cluster
	desired     int32
	breaker     *ecstypes.DeploymentCircuitBreaker
	taskDef     string
	created     time.Time
	deployments []*deployment           // PRIMARY first
	events      []ecstypes.ServiceEvent // newest first
	script      []Rollout
	deleted     bool // DeleteService: INACTIVE, and UpdateService refuses it
	network     *ecstypes.NetworkConfiguration

	// Service deployments (servicedeployments.go).
	strategy   *Strategy
	controller ecstypes.DeploymentControllerType
	sds        []*serviceDeployment // newest first
	revision   string               // the current service revision's ARN
	// loadBalancers are the service's target groups (AttachTargetGroup).
	loadBalancers []ecstypes.LoadBalancer
}

// status is the service's ECS status.
func (svc *service) status() string {
	if svc.deleted {
		return "INACTIVE"
	}
	return "ACTIVE"
}

type deployment struct {
	id, taskDef, prev string // prev: what the service ran before, for ECS's rollback
	created, updated  time.Time
	r                 Rollout
	status            string // PRIMARY or ACTIVE
	state             ecstypes.DeploymentRolloutState
	reason            string
	desired           int32
	running, failed   int32
	next              time.Time // the next step; zero: none
	replaceAt         time.Time // OutcomeReplaced

	sd         *serviceDeployment // the service deployment that moves this one
	rollbackOf *serviceDeployment // this is ECS's rollback of that service deployment
}

// maxEvents is how many events ECS keeps per service.
const maxEvents = 100

// newDeployment creates an IN_PROGRESS deployment of taskDef. s.mu is held.
func (s *Sim) newDeployment(svc *service, taskDef string, r Rollout, at time.Time) *deployment {
	r = r.withDefaults()
	d := &deployment{
		id: fmt.Sprintf("ecs-svc/%019d", 4700000000000000000+s.nextID()), taskDef: taskDef, prev: svc.taskDef,
		created: at, updated: at, r: r, status: "PRIMARY", state: ecstypes.DeploymentRolloutStateInProgress,
		desired: svc.desired, next: at.Add(r.TaskStart),
	}
	d.reason = "ECS deployment " + d.id + " in progress."
	if r.Outcome == OutcomeReplaced {
		d.replaceAt = at.Add(r.ReplaceAfter)
	}
	return d
}

// startDeployment makes d the PRIMARY deployment of svc. s.mu is held.
func (s *Sim) startDeployment(svc *service, d *deployment) {
	for _, old := range svc.deployments {
		old.status = "ACTIVE"
		old.next, old.replaceAt = time.Time{}, time.Time{}
	}
	svc.deployments = append([]*deployment{d}, svc.deployments...)
	svc.taskDef = d.taskDef
}

// rolloutFor picks how a new deployment of taskDef behaves: the service's
// script, then OnTag, then Healthy. s.mu is held.
func (s *Sim) rolloutFor(svc *service, taskDef string, scripted bool) Rollout {
	if scripted && len(svc.script) > 0 {
		r := svc.script[0]
		svc.script = svc.script[1:]
		return r
	}
	if td, ok := s.lookupTaskDef(taskDef); ok {
		for _, c := range td.td.ContainerDefinitions {
			if r, ok := s.onTag[tagOf(aws.ToString(c.Image))]; ok {
				return r
			}
		}
	}
	return Healthy()
}

// advance moves every service of every cluster to now. s.mu is held.
func (s *Sim) advance() {
	now := s.clk.Now()
	for _, c := range s.clusters {
		for _, svc := range c.services {
			s.advanceService(svc, now)
		}
	}
	s.advanceRunTasks(now)
}

// advanceService applies the service's due steps in time order.
func (s *Sim) advanceService(svc *service, now time.Time) {
	for {
		var due *deployment
		var at time.Time
		replace := false
		for _, d := range svc.deployments {
			if d.status != "PRIMARY" || holdsTasks(d) {
				continue
			}
			if !d.next.IsZero() && !d.next.After(now) && (due == nil || d.next.Before(at)) {
				due, at, replace = d, d.next, false
			}
			if !d.replaceAt.IsZero() && !d.replaceAt.After(now) && (due == nil || d.replaceAt.Before(at)) {
				due, at, replace = d, d.replaceAt, true
			}
		}
		// A service deployment's own steps (stages, hooks, alarms) are
		// applied in time order with the tasks'.
		var dueSD *serviceDeployment
		for _, sd := range svc.sds {
			if t := sd.due(); !t.IsZero() && !t.After(now) && (due == nil || t.Before(at)) && (dueSD == nil || t.Before(at)) {
				dueSD, at = sd, t
			}
		}
		if dueSD != nil {
			s.stepSD(dueSD, at)
			continue
		}
		if due == nil {
			return
		}
		due.updated = at
		switch {
		case replace:
			s.replace(svc, due, at)
		case due.r.Outcome == OutcomeFailTasks:
			s.failTask(svc, due, at)
		case due.r.Outcome == OutcomeUnhealthyTargets:
			s.stepUnhealthyTargets(svc, due, at)
		case due.r.Outcome == OutcomeUnplaceable:
			s.event(svc, at, fmt.Sprintf("(service %s) was unable to place a task because no container instance met all of its requirements. "+
				"Reason: No Container Instances were found in your cluster. For more information, see the Troubleshooting section of the Amazon ECS Developer Guide.", svc.name))
			due.next = at.Add(due.r.TaskStart)
		default:
			s.stepHealthy(svc, due, at)
		}
	}
}

// stepHealthy starts one task of d, draining an older deployment, or
// completes d when all run.
func (s *Sim) stepHealthy(svc *service, d *deployment, at time.Time) {
	if d.running < d.desired {
		t := s.startTask(svc, d, at)
		s.event(svc, at, fmt.Sprintf("(service %s) has started 1 tasks: (task %s).", svc.name, taskID(t)))
		for _, old := range svc.deployments[1:] {
			if old.running > 0 && drainsEarly(d) {
				s.stopTasks(svc, old, 1, at, "Scaling activity initiated by (deployment "+d.id+")")
				break
			}
		}
		d.next = at.Add(d.r.TaskStart)
		return
	}
	if s.scaledUp(d, at) { // its service deployment decides when it completes
		return
	}
	s.rolledBack(d, at)
	d.state, d.reason, d.next, d.replaceAt = ecstypes.DeploymentRolloutStateCompleted, "ECS deployment "+d.id+" completed.", time.Time{}, time.Time{}
	for _, old := range svc.deployments[1:] {
		s.stopTasks(svc, old, old.running, at, "Scaling activity initiated by (deployment "+d.id+")")
	}
	svc.deployments = svc.deployments[:1]
	s.event(svc, at, fmt.Sprintf("(service %s) (deployment %s) deployment completed.", svc.name, d.id))
	s.event(svc, at, fmt.Sprintf("(service %s) has reached a steady state.", svc.name))
}

// failTask starts a task of d that stops as scripted, and trips the circuit
// breaker when enough have.
func (s *Sim) failTask(svc *service, d *deployment, at time.Time) {
	t := s.stoppedTask(svc, d, at)
	d.failed++
	s.event(svc, at, fmt.Sprintf("(service %s) has started 1 tasks: (task %s).", svc.name, taskID(t)))
	d.next = at.Add(d.r.TaskStart)
	s.tripBreaker(svc, d, at)
}

// tripBreaker fails d when enough of its tasks failed, and starts ECS's
// rollback when the breaker rolls back; it reports whether it tripped.
func (s *Sim) tripBreaker(svc *service, d *deployment, at time.Time) bool {
	if svc.breaker == nil || !svc.breaker.Enable || d.failed < breakerThreshold(d.desired) {
		return false
	}
	d.state, d.reason, d.next = ecstypes.DeploymentRolloutStateFailed, "ECS deployment circuit breaker: tasks failed to start.", time.Time{}
	s.event(svc, at, fmt.Sprintf("(service %s) (deployment %s) deployment failed: tasks failed to start.", svc.name, d.id))
	if !svc.breaker.Rollback || d.prev == "" || d.prev == d.taskDef {
		s.breakerTripped(d, nil, at)
		return true
	}
	rb := s.newDeployment(svc, d.prev, s.rolloutFor(svc, d.prev, false), at)
	rb.prev = d.taskDef
	if d.sd != nil && d.sd.script.rollbackFails {
		rb.r = NoCapacity().withDefaults()
	}
	s.startDeployment(svc, rb)
	s.event(svc, at, fmt.Sprintf("(service %s) rolling back to deployment %s.", svc.name, rb.id))
	s.breakerTripped(d, rb, at)
	return true
}

// replace lets someone else's deployment of the same task definition take
// over from d.
func (s *Sim) replace(svc *service, d *deployment, at time.Time) {
	nd := s.newDeployment(svc, d.taskDef, Healthy(), at)
	s.startDeployment(svc, nd)
	s.newServiceDeployment(svc, nd, d, at)
	s.event(svc, at, fmt.Sprintf("(service %s) has begun a new deployment %s.", svc.name, nd.id))
}

// breakerThreshold is ECS's failed-task threshold: half the desired count,
// at least 3, at most 200.
func breakerThreshold(desired int32) int32 {
	return min(max(3, (desired+1)/2), 200)
}

func (s *Sim) event(svc *service, at time.Time, msg string) {
	e := ecstypes.ServiceEvent{Id: aws.String(fmt.Sprintf("%08x-sim-event", s.nextID())), CreatedAt: aws.Time(at), Message: aws.String(msg)}
	svc.events = append([]ecstypes.ServiceEvent{e}, svc.events...)
	if len(svc.events) > maxEvents {
		svc.events = svc.events[:maxEvents]
	}
}

// newTask creates a task of d's task definition. s.mu is held.
func (s *Sim) newTask(svc *service, d *deployment, at time.Time) *ecstypes.Task {
	id := fmt.Sprintf("%032x", s.nextID())
	t := &ecstypes.Task{
		TaskArn:           aws.String(fmt.Sprintf("arn:aws:ecs:%s:%s:task/%s/%s", Region, Account, svc.cluster.name, id)),
		ClusterArn:        aws.String(svc.cluster.arn),
		TaskDefinitionArn: aws.String(d.taskDef),
		StartedBy:         aws.String(d.id),
		Group:             aws.String("service:" + svc.name),
		LaunchType:        ecstypes.LaunchTypeFargate,
		CreatedAt:         aws.Time(at),
	}
	if td, ok := s.lookupTaskDef(d.taskDef); ok {
		for _, c := range td.td.ContainerDefinitions {
			t.Containers = append(t.Containers, ecstypes.Container{Name: c.Name, Image: c.Image, TaskArn: t.TaskArn, ImageDigest: optional(s.pulledDigest(aws.ToString(c.Image)))})
		}
	}
	s.attachENI(svc, t)
	svc.cluster.tasks = append(svc.cluster.tasks, t)
	return t
}

func (s *Sim) startTask(svc *service, d *deployment, at time.Time) *ecstypes.Task {
	t := s.newTask(svc, d, at)
	t.LastStatus, t.DesiredStatus, t.StartedAt = aws.String("RUNNING"), aws.String("RUNNING"), aws.Time(at)
	for i := range t.Containers {
		t.Containers[i].LastStatus = aws.String("RUNNING")
	}
	d.running++
	s.registerTargets(svc, t, d.r.Targets, !drainsEarly(d))
	return t
}

// stopTasks stops n running tasks of d.
func (s *Sim) stopTasks(svc *service, d *deployment, n int32, at time.Time, reason string) {
	for _, t := range svc.cluster.tasks {
		if n <= 0 {
			break
		}
		if aws.ToString(t.StartedBy) != d.id || aws.ToString(t.DesiredStatus) != "RUNNING" {
			continue
		}
		t.LastStatus, t.DesiredStatus, t.StoppedAt = aws.String("STOPPED"), aws.String("STOPPED"), aws.Time(at)
		t.StoppedReason, t.StopCode = aws.String(reason), ecstypes.TaskStopCodeServiceSchedulerInitiated
		s.deregisterTargets(svc, t, at)
		for i := range t.Containers {
			t.Containers[i].LastStatus, t.Containers[i].ExitCode = aws.String("STOPPED"), aws.Int32(0)
		}
		d.running--
		n--
	}
}

// stoppedTask creates a task of d that stopped as d's rollout scripts, and
// writes its essential container's logs.
func (s *Sim) stoppedTask(svc *service, d *deployment, at time.Time) *ecstypes.Task {
	t := s.newTask(svc, d, at)
	stop := d.r.Stop
	t.LastStatus, t.DesiredStatus, t.StoppedAt, t.StopCode = aws.String("STOPPED"), aws.String("STOPPED"), aws.Time(at), stop.Code
	td, _ := s.lookupTaskDef(d.taskDef)
	essential := -1
	for i := range t.Containers {
		t.Containers[i].LastStatus = aws.String("STOPPED")
		if essential < 0 && td != nil && aws.ToBool(td.td.ContainerDefinitions[i].Essential) {
			essential = i
		}
	}
	if essential < 0 && len(t.Containers) > 0 {
		essential = 0
	}
	reason := stop.Reason
	if essential >= 0 {
		reason = strings.ReplaceAll(reason, "{image}", aws.ToString(t.Containers[essential].Image))
	}
	t.StoppedReason = aws.String(reason)
	if stop.ExitCode == nil || essential < 0 {
		return t
	}
	t.StartedAt = aws.Time(at)
	for i := range t.Containers {
		t.Containers[i].ExitCode = aws.Int32(0)
	}
	c := &t.Containers[essential]
	c.ExitCode = aws.Int32(*stop.ExitCode)
	if stop.ContainerReason != "" {
		c.Reason = aws.String(stop.ContainerReason)
	}
	s.writeLogs(td.td.ContainerDefinitions[essential], taskID(t), at, stop.Logs)
	return t
}

// writeLogs puts lines in the container's awslogs stream, if its group
// exists; without lines no stream is created, as with a silent process.
func (s *Sim) writeLogs(def ecstypes.ContainerDefinition, taskID string, at time.Time, lines []string) {
	lc := def.LogConfiguration
	if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs || len(lines) == 0 {
		return
	}
	streams := s.logGroups[lc.Options["awslogs-group"]]
	if streams == nil {
		return
	}
	name := lc.Options["awslogs-stream-prefix"] + "/" + aws.ToString(def.Name) + "/" + taskID
	for i, l := range lines {
		streams[name] = append(streams[name], logLine{at: at.Add(time.Duration(i-len(lines)) * time.Millisecond), msg: l})
	}
}

func taskID(t *ecstypes.Task) string {
	arn := aws.ToString(t.TaskArn)
	return arn[strings.LastIndex(arn, "/")+1:]
}

// tagOf returns image's tag, or "".
func tagOf(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	slash := strings.LastIndex(image, "/")
	if colon := strings.LastIndex(image, ":"); colon > slash {
		return image[colon+1:]
	}
	return ""
}
