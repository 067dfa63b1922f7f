package sim

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
)

// DefaultDeregistrationDelay is ELBv2's default: a deregistered target
// drains this long before it is gone.
const DefaultDeregistrationDelay = 300 * time.Second

// elbState is the simulated account's load balancers, listeners and
// target groups.
type elbState struct {
	groups    map[string]*targetGroup // ARN -> group
	order     []string                // group ARNs in creation order
	listeners map[string][]*listener  // load balancer ARN -> listeners
	rules     map[string][]elbtypes.Rule
	ips       int // task addresses handed out (elbtasks.go)
}

type targetGroup struct {
	tg      elbtypes.TargetGroup
	delay   time.Duration
	targets []*lbTarget // registration order
}

type listener struct {
	arn      string
	lb       string
	defaults []elbtypes.Action
}

// lbTarget is one registered target and its scripted health.
type lbTarget struct {
	id           string
	port         int32
	health       TargetHealth
	deregistered time.Time // zero: registered
}

// TargetHealth is a target's scripted health as DescribeTargetHealth shows
// it while the target is registered.
type TargetHealth struct {
	State  elbtypes.TargetHealthStateEnum
	Reason elbtypes.TargetHealthReasonEnum // "" when healthy
	Codes  []int                           // the answers of Target.ResponseCodeMismatch
}

// TargetHealthy is a target that passes its health checks.
func TargetHealthy() TargetHealth { return TargetHealth{State: elbtypes.TargetHealthStateEnumHealthy} }

// TargetUnhealthy is a target that fails its health checks for reason
// (Target.FailedHealthChecks, Target.Timeout, or Target.ResponseCodeMismatch
// with the codes it answered).
func TargetUnhealthy(reason elbtypes.TargetHealthReasonEnum, codes ...int) TargetHealth {
	return TargetHealth{State: elbtypes.TargetHealthStateEnumUnhealthy, Reason: reason, Codes: codes}
}

// TargetGroupSpec describes a load balancer with one HTTP listener whose
// default action forwards to a new target group.
type TargetGroupSpec struct {
	Name       string                  // of the target group and its load balancer
	TargetType elbtypes.TargetTypeEnum // default ip
	Port       int32                   // default 8080
	HealthPath string                  // default /healthz
	Matcher    string                  // HttpCode; default "200"
	// NoListener creates the target group attached to no load balancer.
	NoListener bool
	// DeregistrationDelay is how long a deregistered target drains;
	// default DefaultDeregistrationDelay.
	DeregistrationDelay time.Duration
}

// AddTargetGroup creates the target group spec describes, behind a new
// application load balancer unless spec.NoListener, and returns its ARN.
func (s *Sim) AddTargetGroup(spec TargetGroupSpec) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.elb()
	if spec.TargetType == "" {
		spec.TargetType = elbtypes.TargetTypeEnumIp
	}
	if spec.Port == 0 {
		spec.Port = 8080
	}
	if spec.HealthPath == "" {
		spec.HealthPath = "/healthz"
	}
	if spec.Matcher == "" {
		spec.Matcher = "200"
	}
	if spec.DeregistrationDelay == 0 {
		spec.DeregistrationDelay = DefaultDeregistrationDelay
	}
	id := fmt.Sprintf("%016x", s.nextID())
	tgARN := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:targetgroup/%s/%s", Region, Account, spec.Name, id)
	tg := &targetGroup{delay: spec.DeregistrationDelay, tg: elbtypes.TargetGroup{
		TargetGroupArn: aws.String(tgARN), TargetGroupName: aws.String(spec.Name), TargetType: spec.TargetType,
		Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(spec.Port), VpcId: aws.String("vpc-0sim0000000000001"),
		HealthCheckProtocol: elbtypes.ProtocolEnumHttp, HealthCheckPath: aws.String(spec.HealthPath),
		HealthCheckPort: aws.String("traffic-port"), HealthCheckEnabled: aws.Bool(true),
		HealthCheckIntervalSeconds: aws.Int32(30), HealthCheckTimeoutSeconds: aws.Int32(5),
		HealthyThresholdCount: aws.Int32(5), UnhealthyThresholdCount: aws.Int32(2),
		Matcher: &elbtypes.Matcher{HttpCode: aws.String(spec.Matcher)},
	}}
	if !spec.NoListener {
		lbARN := fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:loadbalancer/app/%s/%s", Region, Account, spec.Name, id)
		l := &listener{
			arn: fmt.Sprintf("arn:aws:elasticloadbalancing:%s:%s:listener/app/%s/%s/%016x", Region, Account, spec.Name, id, s.nextID()),
			lb:  lbARN, defaults: []elbtypes.Action{{Type: elbtypes.ActionTypeEnumForward, TargetGroupArn: aws.String(tgARN), Order: aws.Int32(1)}},
		}
		e.listeners[lbARN] = append(e.listeners[lbARN], l)
		tg.tg.LoadBalancerArns = []string{lbARN}
	}
	e.groups[tgARN] = tg
	e.order = append(e.order, tgARN)
	return tgARN
}

// AttachTargetGroup puts the service behind the target group: its
// DescribeServices answer lists it with the container and port.
func (s *Sim) AttachTargetGroup(cluster, service, tgARN, container string, port int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.mustService(cluster, service)
	lb := ecstypes.LoadBalancer{TargetGroupArn: aws.String(tgARN), ContainerName: aws.String(container), ContainerPort: aws.Int32(port)}
	svc.loadBalancers = append(svc.loadBalancers, lb)
	// The tasks running now join it healthy, as if they had been behind
	// it from the start.
	for _, t := range svc.cluster.tasks {
		if aws.ToString(t.Group) == "service:"+svc.name && aws.ToString(t.DesiredStatus) == "RUNNING" {
			s.attachENI(svc, t)
			if ip := taskAddress(t); ip != "" && s.elb().groups[tgARN] != nil {
				tg := s.elb().groups[tgARN]
				tg.targets = append(tg.targets, &lbTarget{id: ip, port: port, health: TargetHealthy()})
			}
		}
	}
}

// AddRule adds a rule to every listener of the load balancer, before its
// default rule.
func (s *Sim) AddRule(lbARN string, rule elbtypes.Rule) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.elb()
	for _, l := range e.listeners[lbARN] {
		e.rules[l.arn] = append(e.rules[l.arn], rule)
	}
}

// SetListenerDefault replaces the default actions of the load balancer's
// listeners, e.g. to forward elsewhere.
func (s *Sim) SetListenerDefault(lbARN string, actions ...elbtypes.Action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.elb().listeners[lbARN] {
		l.defaults = actions
	}
}

// RegisterTarget registers a target (an IP for type ip, an instance ID
// for type instance) with the scripted health DescribeTargetHealth shows.
// Registering a registered target sets its health.
func (s *Sim) RegisterTarget(tgARN, id string, port int32, h TargetHealth) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tg := s.mustTargetGroup(tgARN)
	for _, t := range tg.targets {
		if t.id == id && t.port == port {
			t.health, t.deregistered = h, time.Time{}
			return
		}
	}
	tg.targets = append(tg.targets, &lbTarget{id: id, port: port, health: h})
}

func (s *Sim) mustTargetGroup(arn string) *targetGroup {
	tg := s.elb().groups[arn]
	if tg == nil {
		panic("sim: no target group " + arn)
	}
	return tg
}

// elb returns the load-balancing state, creating it on first use. s.mu is
// held.
func (s *Sim) elb() *elbState {
	if s.lb == nil {
		s.lb = &elbState{groups: map[string]*targetGroup{}, listeners: map[string][]*listener{}, rules: map[string][]elbtypes.Rule{}}
	}
	return s.lb
}

// DescribeTargetGroups describes target groups by ARN, by name, or those
// of a load balancer; a missing ARN or name fails the call, as in ELBv2.
func (s *Sim) DescribeTargetGroups(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetGroupsInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetGroupsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeTargetGroups"); err != nil {
		return nil, err
	}
	e := s.elb()
	out := &elasticloadbalancingv2.DescribeTargetGroupsOutput{}
	switch {
	case len(in.TargetGroupArns) > 0:
		for _, a := range in.TargetGroupArns {
			tg := e.groups[a]
			if tg == nil {
				return nil, apiError("TargetGroupNotFound", fmt.Sprintf("Target groups '%s' not found", a))
			}
			out.TargetGroups = append(out.TargetGroups, tg.describe())
		}
	case len(in.Names) > 0:
		for _, n := range in.Names {
			i := slices.IndexFunc(e.order, func(a string) bool { return aws.ToString(e.groups[a].tg.TargetGroupName) == n })
			if i < 0 {
				return nil, apiError("TargetGroupNotFound", fmt.Sprintf("One or more target groups not found: '%s'", n))
			}
			out.TargetGroups = append(out.TargetGroups, e.groups[e.order[i]].describe())
		}
	default:
		lb := aws.ToString(in.LoadBalancerArn)
		for _, a := range e.order {
			if tg := e.groups[a]; lb == "" || slices.Contains(tg.tg.LoadBalancerArns, lb) {
				out.TargetGroups = append(out.TargetGroups, tg.describe())
			}
		}
	}
	return out, nil
}

func (tg *targetGroup) describe() elbtypes.TargetGroup {
	out := tg.tg
	out.LoadBalancerArns = slices.Clone(tg.tg.LoadBalancerArns)
	m := *tg.tg.Matcher
	out.Matcher = &m
	return out
}

// DescribeListeners describes the listeners of a load balancer, or by ARN.
func (s *Sim) DescribeListeners(ctx context.Context, in *elasticloadbalancingv2.DescribeListenersInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeListenersOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeListeners"); err != nil {
		return nil, err
	}
	e := s.elb()
	out := &elasticloadbalancingv2.DescribeListenersOutput{}
	if lb := aws.ToString(in.LoadBalancerArn); lb != "" {
		ls, ok := e.listeners[lb]
		if !ok {
			return nil, apiError("LoadBalancerNotFound", fmt.Sprintf("Load balancer '%s' not found", lb))
		}
		for _, l := range ls {
			out.Listeners = append(out.Listeners, l.describe())
		}
		return out, nil
	}
	for _, a := range in.ListenerArns {
		l := e.listener(a)
		if l == nil {
			return nil, apiError("ListenerNotFound", fmt.Sprintf("Listener '%s' not found", a))
		}
		out.Listeners = append(out.Listeners, l.describe())
	}
	return out, nil
}

func (l *listener) describe() elbtypes.Listener {
	return elbtypes.Listener{
		ListenerArn: aws.String(l.arn), LoadBalancerArn: aws.String(l.lb), Port: aws.Int32(80),
		Protocol: elbtypes.ProtocolEnumHttp, DefaultActions: slices.Clone(l.defaults),
	}
}

func (e *elbState) listener(arn string) *listener {
	for _, ls := range e.listeners {
		for _, l := range ls {
			if l.arn == arn {
				return l
			}
		}
	}
	return nil
}

// DescribeRules lists a listener's rules, its default rule last, as ELBv2
// does.
func (s *Sim) DescribeRules(ctx context.Context, in *elasticloadbalancingv2.DescribeRulesInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeRulesOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeRules"); err != nil {
		return nil, err
	}
	e := s.elb()
	if len(in.RuleArns) > 0 {
		return e.rulesByARN(in.RuleArns)
	}
	l := e.listener(aws.ToString(in.ListenerArn))
	if l == nil {
		return nil, apiError("ListenerNotFound", fmt.Sprintf("Listener '%s' not found", aws.ToString(in.ListenerArn)))
	}
	out := &elasticloadbalancingv2.DescribeRulesOutput{Rules: slices.Clone(e.rules[l.arn])}
	out.Rules = append(out.Rules, l.defaultRule())
	return out, nil
}

// DeregisterTargets starts the targets' draining: DescribeTargetHealth
// shows them draining for the group's deregistration delay, then no more.
func (s *Sim) DeregisterTargets(ctx context.Context, in *elasticloadbalancingv2.DeregisterTargetsInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DeregisterTargetsOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DeregisterTargets"); err != nil {
		return nil, err
	}
	tg := s.elb().groups[aws.ToString(in.TargetGroupArn)]
	if tg == nil {
		return nil, apiError("TargetGroupNotFound", fmt.Sprintf("Target groups '%s' not found", aws.ToString(in.TargetGroupArn)))
	}
	now := s.clk.Now()
	for _, d := range in.Targets {
		for _, t := range tg.targets {
			if t.id == aws.ToString(d.Id) && (d.Port == nil || t.port == aws.ToInt32(d.Port)) && t.deregistered.IsZero() {
				t.deregistered = now
			}
		}
	}
	return &elasticloadbalancingv2.DeregisterTargetsOutput{}, nil
}

// DescribeTargetHealth describes the health of a group's targets (all, or
// those named). State is computed from the clock when read: a target
// deregistered less than the delay ago is draining, one longer ago is gone
// (named, it is unused with Target.NotRegistered, as in ELBv2).
func (s *Sim) DescribeTargetHealth(ctx context.Context, in *elasticloadbalancingv2.DescribeTargetHealthInput, _ ...func(*elasticloadbalancingv2.Options)) (*elasticloadbalancingv2.DescribeTargetHealthOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.call(ctx, "DescribeTargetHealth"); err != nil {
		return nil, err
	}
	tg := s.elb().groups[aws.ToString(in.TargetGroupArn)]
	if tg == nil {
		return nil, apiError("TargetGroupNotFound", fmt.Sprintf("Target groups '%s' not found", aws.ToString(in.TargetGroupArn)))
	}
	now := s.clk.Now()
	out := &elasticloadbalancingv2.DescribeTargetHealthOutput{}
	if len(in.Targets) == 0 {
		for _, t := range tg.targets {
			if d, ok := t.describe(tg, now); ok {
				out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
			}
		}
		return out, nil
	}
	for _, want := range in.Targets {
		i := slices.IndexFunc(tg.targets, func(t *lbTarget) bool {
			return t.id == aws.ToString(want.Id) && (want.Port == nil || t.port == aws.ToInt32(want.Port))
		})
		if i >= 0 {
			if d, ok := tg.targets[i].describe(tg, now); ok {
				out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
				continue
			}
		}
		out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, elbtypes.TargetHealthDescription{
			Target: &elbtypes.TargetDescription{Id: want.Id, Port: want.Port},
			TargetHealth: &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumUnused, Reason: elbtypes.TargetHealthReasonEnumNotRegistered,
				Description: aws.String("Target is not registered to the target group")},
		})
	}
	return out, nil
}

// describe is the target's health at now, or false once it has drained.
func (t *lbTarget) describe(tg *targetGroup, now time.Time) (elbtypes.TargetHealthDescription, bool) {
	d := elbtypes.TargetHealthDescription{
		Target:          &elbtypes.TargetDescription{Id: aws.String(t.id), Port: aws.Int32(t.port)},
		HealthCheckPort: aws.String(strconv.Itoa(int(t.port))),
	}
	if !t.deregistered.IsZero() {
		if !now.Before(t.deregistered.Add(tg.delay)) {
			return d, false
		}
		d.TargetHealth = &elbtypes.TargetHealth{State: elbtypes.TargetHealthStateEnumDraining, Reason: elbtypes.TargetHealthReasonEnumDeregistrationInProgress,
			Description: aws.String("Target deregistration is in progress")}
		return d, true
	}
	h := &elbtypes.TargetHealth{State: t.health.State, Reason: t.health.Reason}
	if desc := reasonText(t.health); desc != "" {
		h.Description = aws.String(desc)
	}
	d.TargetHealth = h
	return d, true
}

// reasonText is ELBv2's description of an unhealthy reason.
func reasonText(h TargetHealth) string {
	switch h.Reason {
	case elbtypes.TargetHealthReasonEnumFailedHealthChecks:
		return "Health checks failed"
	case elbtypes.TargetHealthReasonEnumResponseCodeMismatch:
		codes := make([]string, len(h.Codes))
		for i, c := range h.Codes {
			codes[i] = strconv.Itoa(c)
		}
		return "Health checks failed with these codes: [" + strings.Join(codes, ",") + "]"
	case elbtypes.TargetHealthReasonEnumTimeout:
		return "Request timed out"
	case elbtypes.TargetHealthReasonEnumRegistrationInProgress:
		return "Target registration is in progress"
	}
	return ""
}

// rulesByARN describes rules by ARN, default rules included; a missing one
// fails the call, as in ELBv2.
func (e *elbState) rulesByARN(arns []string) (*elasticloadbalancingv2.DescribeRulesOutput, error) {
	out := &elasticloadbalancingv2.DescribeRulesOutput{}
	for _, a := range arns {
		var found *elbtypes.Rule
		for _, ls := range e.listeners {
			for _, l := range ls {
				for _, r := range append(slices.Clone(e.rules[l.arn]), l.defaultRule()) {
					if aws.ToString(r.RuleArn) == a {
						found = &r
					}
				}
			}
		}
		if found == nil {
			return nil, apiError("RuleNotFound", fmt.Sprintf("One or more rules not found: '%s'", a))
		}
		out.Rules = append(out.Rules, *found)
	}
	return out, nil
}

// defaultRule is the listener's default rule as DescribeRules lists it.
func (l *listener) defaultRule() elbtypes.Rule {
	return elbtypes.Rule{
		RuleArn: aws.String(strings.Replace(l.arn, ":listener/", ":listener-rule/", 1) + "/default"), IsDefault: aws.Bool(true),
		Priority: aws.String("default"), Actions: slices.Clone(l.defaults),
	}
}

// AttachLoadBalancer puts the service behind lb as given, e.g. with a
// blue/green advanced configuration (alternate target group, production
// and test listener rules).
func (s *Sim) AttachLoadBalancer(cluster, service string, lb ecstypes.LoadBalancer) {
	s.mu.Lock()
	defer s.mu.Unlock()
	svc := s.mustService(cluster, service)
	svc.loadBalancers = append(svc.loadBalancers, lb)
}
