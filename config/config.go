// Package config reads omdeploy.yaml: strict parsing with FILE:LINE:COL
// errors, ${VAR} expansion from the environment, and defaults. It knows
// nothing of AWS or the CLI.
package config

import (
	"time"
)

// Defaults of the contract.
const (
	DefaultWaitTimeout   = 15 * time.Minute
	DefaultHealthTimeout = 2 * time.Minute
	DefaultSecretsPath   = ".secrets/"
)

// File is a parsed, validated, defaulted config.
type File struct {
	Path          string // as given; relative paths in the file are relative to its folder
	Region        string
	AccountID     string
	Secrets       []string
	SSMParameters []string
	IAMActions    []string
	Notify        []NotifyTarget // where each deploy is announced
	Lock          *Lock          // the lock of services that set none; nil: unlocked
	PinDigest     bool           // pin_digest of services that set none
	Services      []Service
}

// Service is one ECS service to deploy.
type Service struct {
	Name        string // label in output; defaults to Service
	Cluster     string
	Service     string
	Container   string // empty: the task definition's only container
	WaitTimeout time.Duration
	Health      *Health // nil: no health verification declared
	// Release tasks run after the new revision is registered and before
	// UpdateService; PostDeploy tasks after health verification. See Task.
	Release    []Task
	PostDeploy []Task
	// Lock is the service's deploy lock: its own `lock:`, else the
	// config's; nil when it deploys unlocked.
	Lock    *Lock
	lockSet bool // the service said `lock:` itself, false included
	// Scheduled are EventBridge rules whose ECS targets follow the
	// service's revision. See ScheduledRule.
	Scheduled []ScheduledRule
	Line      int // where the entry starts, for drift and error messages
	// TaskDefinition is the path of the service's task definition file
	// (task_definition:, relative to the config file's folder), the source
	// of truth for the revisions a deploy registers; "" deploys the live
	// definition with the image changed. internal/taskdef reads it.
	TaskDefinition string
	// PinDigest registers the service's images as repo:tag@sha256:...,
	// with the digests preflight resolved, so that each revision is
	// immutable: the service's own `pin_digest:`, else the config's
	// top-level one, else false.
	PinDigest bool
	pinSet    bool // the service said `pin_digest:` itself, false included
}

// Health declares a service's canonical health endpoints.
type Health struct {
	BaseURL string
	// TestBaseURL is the base URL of the load balancer's test listener,
	// through which a blue/green deployment's new revision answers before
	// production traffic moves to it. With a PAUSE lifecycle hook at
	// POST_TEST_TRAFFIC_SHIFT, omdeploy verifies the endpoints there and
	// releases the hook (CONTINUE) or rolls back (ROLLBACK); "" leaves the
	// hook to a person (omdeploy continue).
	TestBaseURL string
	Endpoints   []Endpoint
	Timeout     time.Duration
	// HealthyAfter is how many passing attempts in a row each endpoint
	// needs, so that a flapping endpoint does not pass on one lucky
	// answer; 0 means DefaultHealthyAfter.
	HealthyAfter int
	// FollowRedirects is the endpoints' redirect policy unless one sets
	// its own; "" means RedirectsSameHost.
	FollowRedirects RedirectPolicy
}

// Endpoint is one canonical health endpoint.
type Endpoint struct {
	Path         string
	ExpectStatus []int  // empty: any 2xx
	ExpectBody   string // substring the body must contain; empty: not checked
	// FollowRedirects overrides the service's health.follow_redirects;
	// "" inherits it.
	FollowRedirects RedirectPolicy
}

// DefaultHealthyAfter passes an endpoint on its first passing attempt.
const DefaultHealthyAfter = 1

// MaxHealthyAfter bounds health.healthy_after: more passes in a row than
// this say nothing more about stability, only spend the budget.
const MaxHealthyAfter = 100

// RedirectPolicy says which redirects a health check follows. A redirect
// to another host is a failure unless the policy is RedirectsAny, because
// that host's 200 says nothing about this service.
type RedirectPolicy string

// The redirect policies of health.follow_redirects.
const (
	// RedirectsSameHost follows redirects that keep the scheme, host and
	// port of the endpoint, and the upgrade of http to https on the same
	// host; the default.
	RedirectsSameHost RedirectPolicy = "same-host"
	// RedirectsAny follows redirects to any host.
	RedirectsAny RedirectPolicy = "any"
	// RedirectsNone follows no redirect: the 3xx answer itself is judged
	// against expect_status.
	RedirectsNone RedirectPolicy = "none"
)

// RedirectPolicies lists the valid policies, for messages.
var RedirectPolicies = []RedirectPolicy{RedirectsSameHost, RedirectsAny, RedirectsNone}

// Redirects is the policy that applies to ep: its own, else the service's,
// else RedirectsSameHost.
func (h Health) Redirects(ep Endpoint) RedirectPolicy {
	switch {
	case ep.FollowRedirects != "":
		return ep.FollowRedirects
	case h.FollowRedirects != "":
		return h.FollowRedirects
	}
	return RedirectsSameHost
}

// PassesNeeded is HealthyAfter with its default applied.
func (h Health) PassesNeeded() int {
	return max(h.HealthyAfter, DefaultHealthyAfter)
}

// Select returns the services whose Name or Service is in names, in the
// order of names; all of them when names is empty. A service named twice
// (--service web --service web, or by its label and its ECS name) is
// returned once, where it was first named: deploying it twice in one run
// would race the first deployment with the second. An unknown name is an
// error that lists the known ones.
func (f *File) Select(names []string) ([]Service, error) {
	if len(names) == 0 {
		return f.Services, nil
	}
	var out []Service
	picked := make([]bool, len(f.Services))
	for _, n := range names {
		found := false
		for i, s := range f.Services {
			if s.Name == n || s.Service == n {
				if !picked[i] {
					out = append(out, s)
					picked[i] = true
				}
				found = true
				break
			}
		}
		if !found {
			return nil, &Error{File: f.Path, Msg: "service " + quote(n) + " is not in the config; known: " + f.serviceNames()}
		}
	}
	return out, nil
}

func (f *File) serviceNames() string {
	s := ""
	for i, svc := range f.Services {
		if i > 0 {
			s += ", "
		}
		s += svc.Name
	}
	return s
}
