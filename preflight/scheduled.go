package preflight

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
)

// IDEventsRules is the check that a service's scheduled rules exist: a
// deploy moves their targets to the new revision, and a rule that is not
// there would fail that step after the service was already deployed.
const IDEventsRules = "events.rules"

// EventsAPI is the EventBridge call preflight makes.
type EventsAPI interface {
	DescribeRule(ctx context.Context, in *eventbridge.DescribeRuleInput, optFns ...func(*eventbridge.Options)) (*eventbridge.DescribeRuleOutput, error)
}

var _ EventsAPI = (*eventbridge.Client)(nil)

// checkScheduledRules describes each rule under the service's
// `scheduled:`; it fails naming the rules that do not exist.
func (s *serviceFacts) checkScheduledRules(ctx context.Context) Check {
	if why := s.r.awsSkip(ctx); why != "" {
		return skip("%s", why)
	}
	if s.r.aws.Events == nil {
		return skip("no EventBridge client configured; not checked")
	}
	var found, missing []string
	for _, r := range s.svc.Scheduled {
		name := r.Rule
		var bus *string
		if r.EventBus != "" {
			name += " (event bus " + r.EventBus + ")"
			bus = aws.String(r.EventBus)
		}
		cctx, cancel := context.WithTimeout(ctx, callTimeout)
		_, err := s.r.aws.Events.DescribeRule(cctx, &eventbridge.DescribeRuleInput{Name: aws.String(r.Rule), EventBusName: bus})
		cancel()
		switch {
		case awsx.Code(err) == "ResourceNotFoundException":
			missing = append(missing, name)
		case err != nil:
			return s.r.awsFail(err, "describe scheduled rule %s in %s", name, s.r.region())
		default:
			found = append(found, name)
		}
	}
	if len(missing) > 0 {
		return Check{
			Status:  event.StatusFail,
			Message: fmt.Sprintf("scheduled rule(s) not found in %s: %s", s.r.region(), strings.Join(missing, ", ")),
			Fix:     "create the rule in this region (and on the named event bus), or remove it from the service's `scheduled:` in the config",
		}
	}
	return pass("scheduled rule(s) exist: %s", strings.Join(found, ", "))
}
