package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// diagnosedTasks is how many stopped tasks a diagnosis explains: the most
// recent ones; the others usually stopped the same way.
const diagnosedTasks = 3

// diagnosis is what a failed deployment's stopped tasks and events say.
type diagnosis struct {
	event     event.Diagnosis
	cause     string // one line: the most specific reason found
	runbookID string // the matching runbook entry, or ""
}

// diagnose explains why deployment id failed: its most recent stopped tasks
// with their reasons, exit codes and last log lines, or the placement
// failures in the service events. Lookups that fail are noted in the
// summary rather than hiding the failure being explained.
func (sr *serviceRun) diagnose(ctx context.Context, id string) diagnosis {
	d := diagnosis{event: event.Diagnosis{Service: sr.s.Name}}
	tasks, total, err := sr.stoppedTasks(ctx, id)
	var notes []string
	if err != nil {
		notes = append(notes, fmt.Sprintf("could not read the stopped tasks: %v", err))
	}
	scaled := 0
	for _, t := range tasks {
		st := sr.explainTask(ctx, t)
		d.event.Tasks = append(d.event.Tasks, st)
		if scaledIn(t) {
			scaled++
			continue // stopped on purpose: it explains nothing
		}
		if d.runbookID == "" && st.RunbookID != "" {
			d.runbookID, d.cause = st.RunbookID, taskCause(st)
		}
		if d.cause == "" {
			d.cause = taskCause(st)
		}
	}
	if msg := sr.seen.placementFailure(); msg != "" && d.runbookID == "" {
		d.runbookID, d.cause = runbook.RolloutCapacity, msg
	}
	var b strings.Builder
	switch {
	case total > 0:
		fmt.Fprintf(&b, "%d task(s) of deployment %s stopped", total, id)
		if scaled == len(tasks) {
			fmt.Fprintf(&b, "; the latest %d were scaled in by ECS (a rollback or a newer deployment), not failed", scaled)
		}
		if d.cause != "" {
			fmt.Fprintf(&b, "; latest: %s", d.cause)
		}
	case d.cause != "":
		fmt.Fprintf(&b, "no task of deployment %s stopped; %s", id, d.cause)
	default:
		fmt.Fprintf(&b, "no stopped tasks or placement failures found for deployment %s", id)
	}
	if silent := silentContainers(d.event.Tasks); len(silent) > 0 {
		fmt.Fprintf(&b, "; no log lines from %s (runbook %s)", strings.Join(silent, ", "), runbook.RolloutLogSilence)
	}
	for _, n := range notes {
		b.WriteString("; " + n)
	}
	d.event.Summary = b.String()
	sr.emit(d.event)
	return d
}

// stoppedTasks returns the most recently stopped tasks of deployment id
// (ECS starts a deployment's tasks with startedBy set to its ID) and how
// many stopped in all.
func (sr *serviceRun) stoppedTasks(ctx context.Context, id string) ([]ecstypes.Task, int, error) {
	tasks, total, err := sr.deploymentTasks(ctx, id, ecstypes.DesiredStatusStopped, describeBatch)
	if err != nil {
		return nil, total, err
	}
	// Tasks that failed first: those ECS scaled in when it rolled the
	// deployment back stopped last, and say nothing of why.
	slices.SortFunc(tasks, func(a, b ecstypes.Task) int {
		if sa, sb := scaledIn(a), scaledIn(b); sa != sb {
			if sa {
				return 1
			}
			return -1
		}
		return aws.ToTime(b.StoppedAt).Compare(aws.ToTime(a.StoppedAt))
	})
	return tasks[:min(len(tasks), diagnosedTasks)], total, nil
}

// scaledIn says whether ECS stopped t on purpose, scaling its deployment in
// (its own rollback, or a newer deployment taking over), rather than
// because it failed: its stop reason and logs explain no failure.
func scaledIn(t ecstypes.Task) bool {
	return t.StopCode == ecstypes.TaskStopCodeServiceSchedulerInitiated &&
		strings.HasPrefix(aws.ToString(t.StoppedReason), "Scaling activity initiated by")
}

// explainTask lists a stopped task's containers, with the last log lines of
// those that ran, and matches the stop reason to a runbook entry.
func (sr *serviceRun) explainTask(ctx context.Context, t ecstypes.Task) event.StoppedTask {
	st := event.StoppedTask{
		TaskID:        lastSegment(aws.ToString(t.TaskArn)),
		StoppedReason: aws.ToString(t.StoppedReason),
		StopCode:      string(t.StopCode),
	}
	td, tdErr := sr.taskDefinition(ctx, aws.ToString(t.TaskDefinitionArn))
	reasons := []string{st.StoppedReason}
	for _, c := range t.Containers {
		sc := event.StoppedContainer{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason)}
		reasons = append(reasons, sc.Reason)
		if c.ExitCode != nil && !scaledIn(t) { // it ran and failed: its logs may say why
			if tdErr != nil {
				sc.LogError = fmt.Sprintf("log configuration unknown: %v", tdErr)
			} else if def, ok := containerDef(td, sc.Name); ok && (*c.ExitCode != 0 || aws.ToBool(def.Essential)) {
				sr.readLogs(ctx, &sc, def, st.TaskID)
			}
		}
		st.Containers = append(st.Containers, sc)
	}
	st.RunbookID = causeOf(string(t.StopCode), reasons...)
	if th, text := sr.lastTargetHealth(aws.ToString(t.TaskArn)); text != "" {
		st.TargetHealth = text
		if st.RunbookID == "" {
			st.RunbookID = targetCause(th)
		}
	}
	return st
}

// causeOf matches a stopped task's reasons with the runbook.
func causeOf(stopCode string, reasons ...string) string {
	all := strings.Join(reasons, "\n")
	switch {
	case strings.Contains(all, "CannotPullContainerError"):
		return runbook.RolloutImagePull
	case strings.Contains(all, "ResourceInitializationError"):
		return runbook.RolloutResourceInit
	case strings.Contains(all, "Essential container in task exited") || stopCode == string(ecstypes.TaskStopCodeEssentialContainerExited):
		return runbook.RolloutCrashLoop
	}
	return ""
}

// readLogs fills in the last lines of the container's awslogs stream
// (PREFIX/CONTAINER/TASK_ID), or says why there are none.
func (sr *serviceRun) readLogs(ctx context.Context, sc *event.StoppedContainer, def ecstypes.ContainerDefinition, taskID string) {
	lc := def.LogConfiguration
	if lc == nil || lc.LogDriver != ecstypes.LogDriverAwslogs {
		return
	}
	group, prefix := lc.Options["awslogs-group"], lc.Options["awslogs-stream-prefix"]
	region := lc.Options["awslogs-region"]
	if region == "" {
		region = sr.r.opts.Region
	}
	sc.LogGroup = group
	switch {
	case sr.r.opts.Logs == nil:
		return
	case prefix == "":
		sc.LogError = fmt.Sprintf("awslogs-stream-prefix is not set, so the stream of task %s in %s cannot be named", taskID, group)
		return
	}
	stream := prefix + "/" + sc.Name + "/" + taskID
	silence := fmt.Sprintf("no log lines in %s stream %s: check awslogs-group %q and awslogs-region %q in the task definition "+
		"and the execution role's logs:CreateLogStream/PutLogEvents (runbook %s, CloudWatch log silence)", group, stream, group, region, runbook.RolloutLogSilence)
	out, err := sr.r.opts.Logs(region).GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream),
		StartFromHead: aws.Bool(false), Limit: aws.Int32(int32(sr.r.opts.LogLines)),
	})
	switch {
	case awsx.Classify(err) == awsx.KindNotFound:
		sc.LogError = silence + " (" + errMessage(err) + ")"
	case err != nil:
		sc.LogError = fmt.Sprintf("read %s stream %s: %v", group, stream, err)
	case len(out.Events) == 0:
		sc.LogError = silence
	default:
		for _, e := range out.Events {
			sc.LogLines = append(sc.LogLines, strings.TrimRight(aws.ToString(e.Message), "\n"))
		}
	}
}

// taskCause is one line about a stopped task: its reason and the exit
// codes of its containers.
func taskCause(st event.StoppedTask) string {
	var codes []string
	for _, c := range st.Containers {
		if c.ExitCode != nil && (*c.ExitCode != 0 || c.Reason != "") {
			s := fmt.Sprintf("%s exit %d", c.Name, *c.ExitCode)
			if c.Reason != "" {
				s += ": " + c.Reason
			}
			codes = append(codes, s)
		} else if c.Reason != "" && c.Reason != st.StoppedReason {
			codes = append(codes, c.Name+": "+c.Reason)
		}
	}
	lb := ""
	if st.TargetHealth != "" {
		lb = "; load balancer: " + st.TargetHealth
	}
	if len(codes) == 0 {
		return st.StoppedReason + lb
	}
	return fmt.Sprintf("%s (%s)%s", st.StoppedReason, strings.Join(codes, "; "), lb)
}

// silentContainers names the containers that ran but left no log lines.
func silentContainers(tasks []event.StoppedTask) []string {
	var out []string
	for _, t := range tasks {
		for _, c := range t.Containers {
			if c.LogError != "" && len(c.LogLines) == 0 && strings.HasPrefix(c.LogError, "no log lines") && !slices.Contains(out, c.Name) {
				out = append(out, c.Name)
			}
		}
	}
	return out
}

func containerDef(td ecstypes.TaskDefinition, name string) (ecstypes.ContainerDefinition, bool) {
	for _, c := range td.ContainerDefinitions {
		if aws.ToString(c.Name) == name {
			return c, true
		}
	}
	return ecstypes.ContainerDefinition{}, false
}

func lastSegment(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// errMessage is an AWS error's own message, without the SDK's operation
// prefix.
func errMessage(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode() + ": " + apiErr.ErrorMessage()
	}
	return err.Error()
}

// contractDiagnosis copies the diagnosis event into the document's type, so
// the event stream and the JSON contract can change apart.
func contractDiagnosis(e event.Diagnosis) *result.Diagnosis {
	d := &result.Diagnosis{At: e.At, Service: e.Service, Summary: e.Summary}
	for _, t := range e.Tasks {
		rt := result.StoppedTask{TaskID: t.TaskID, StoppedReason: t.StoppedReason, StopCode: t.StopCode, RunbookID: t.RunbookID, TargetHealth: t.TargetHealth}
		for _, c := range t.Containers {
			rt.Containers = append(rt.Containers, result.StoppedContainer(c))
		}
		d.Tasks = append(d.Tasks, rt)
	}
	return d
}
