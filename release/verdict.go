package release

import (
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// result reads the stopped task: each container's exit code and reason,
// with the last lines its log follower saw.
func (r *taskRun) result(t ecstypes.Task) Result {
	res := Result{TaskARN: r.arn, StoppedReason: aws.ToString(t.StoppedReason), StopCode: string(t.StopCode)}
	for _, c := range t.Containers {
		sc := event.StoppedContainer{Name: aws.ToString(c.Name), ExitCode: c.ExitCode, Reason: aws.ToString(c.Reason)}
		for _, f := range r.logs {
			if f.container == sc.Name {
				sc.LogGroup, sc.LogLines, sc.LogError = f.group, f.lastLines(), f.errText()
			}
		}
		res.Containers = append(res.Containers, sc)
	}
	return res
}

// verdict passes the task only when every essential container exited 0.
// A container that never ran (no exit code), or a task ECS could not
// start, is a start failure; a container that ran and exited non-zero is
// the command's failure.
func (r *taskRun) verdict(res Result) error {
	essential := essentials(r.td)
	var failed, notRun []event.StoppedContainer
	var first *int32
	for _, c := range res.Containers {
		if !essential[c.Name] {
			continue
		}
		switch {
		case c.ExitCode == nil:
			notRun = append(notRun, c)
		case *c.ExitCode != 0:
			failed = append(failed, c)
		}
		if first == nil {
			first = c.ExitCode
		}
	}
	reason := res.StoppedReason
	switch {
	case len(failed) > 0:
		c := failed[0]
		why := fmt.Sprintf("container %s exited %d", c.Name, *c.ExitCode)
		if c.Reason != "" {
			why += " (" + c.Reason + ")"
		}
		r.finished(res, false, c.ExitCode, reason)
		r.diagnose(res, why)
		return r.fail(runbook.ReleaseExitNonZero, "", fmt.Errorf("%w: %s %s: %s", ErrExitNonZero, r, why, orNone(reason)))
	case len(notRun) > 0 || len(res.Containers) == 0 || res.StopCode == string(ecstypes.TaskStopCodeTaskFailedToStart):
		why := "it stopped before its containers ran"
		if len(notRun) > 0 && notRun[0].Reason != "" {
			why += " (" + notRun[0].Name + ": " + notRun[0].Reason + ")"
		}
		r.finished(res, false, nil, reason)
		r.diagnose(res, "could not start: "+orNone(reason))
		return r.fail(runbook.ReleaseCannotStart, "", fmt.Errorf("%w: %s: %s: %s", ErrCannotStart, r, why, orNone(reason)))
	}
	r.finished(res, true, first, reason)
	return nil
}

// finished reports the task's end.
func (r *taskRun) finished(res Result, ok bool, code *int32, reason string) {
	r.opts.Reporter.Report(event.TaskFinished{
		Service: r.svc.Name, Task: r.task.Name, Phase: r.phase, TaskARN: r.arn, OK: ok, ExitCode: code,
		Reason: reason, Duration: r.opts.Clock.Now().Sub(r.started),
	})
}

// diagnose shows why the task failed the way a failed rollout's stopped
// tasks are shown: exit codes, stop reason and last log lines.
func (r *taskRun) diagnose(res Result, why string) {
	st := event.StoppedTask{TaskID: taskID(r.arn), StoppedReason: res.StoppedReason, StopCode: res.StopCode}
	essential := essentials(r.td)
	for _, c := range res.Containers {
		if essential[c.Name] || c.ExitCode != nil && *c.ExitCode != 0 {
			st.Containers = append(st.Containers, c)
		}
	}
	r.opts.Reporter.Report(event.Diagnosis{Service: r.svc.Name, Summary: fmt.Sprintf("%s %s", r, why), Tasks: []event.StoppedTask{st}})
}

// essentials are the names of the task definition's essential containers
// (ECS treats an omitted essential as true).
func essentials(td ecstypes.TaskDefinition) map[string]bool {
	m := map[string]bool{}
	for _, c := range td.ContainerDefinitions {
		if c.Essential == nil || *c.Essential {
			m[aws.ToString(c.Name)] = true
		}
	}
	return m
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "no stop reason given"
	}
	return s
}
