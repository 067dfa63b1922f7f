package preflight

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/taskdef"
)

// The checks of the revision a run would register: with a task definition
// file, preflight checks the file's references, not the running
// revision's.

// TestSecretReferencesOfTheFile: with a task definition file, secrets.exist
// and ssm.parameters check the references of the revision the run would
// register, not of the running one: a file that adds a reference to a
// secret or a parameter that does not exist fails before anything is
// registered.
func TestSecretReferencesOfTheFile(t *testing.T) {
	t.Parallel()
	const missingSecret = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tech/new-Missing"
	tests := []struct {
		name      string
		fileRefs  []string // valueFrom of the file's app container
		check     string
		wantFail  bool
		wantInMsg string
	}{
		{name: "the file adds a missing secret", fileRefs: []string{"/tech/db-url", missingSecret}, check: IDSecretsExist, wantFail: true, wantInMsg: missingSecret},
		{name: "the file adds a missing parameter", fileRefs: []string{"/tech/db-url", "/tech/new-param"}, check: IDSSMParameters, wantFail: true, wantInMsg: "/tech/new-param"},
		{name: "the file drops the live definition's missing secret", fileRefs: []string{"/tech/db-url"}, check: IDSecretsExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			// The live definition references a missing secret: only the
			// file's references may decide.
			setSecrets(w, "/tech/db-url", missingSecret)
			file := taskdef.RegisterInput(*w.taskDef, nil)
			file.ContainerDefinitions[0].Secrets = nil
			for i, v := range tt.fileRefs {
				file.ContainerDefinitions[0].Secrets = append(file.ContainerDefinitions[0].Secrets,
					ecstypes.Secret{Name: aws.String(fmt.Sprintf("F%d", i)), ValueFrom: aws.String(v)})
			}
			checks, _ := runWorld(t, w, func(o *Options) {
				o.TaskDefinitions = map[string]*ecs.RegisterTaskDefinitionInput{testService: file}
			})
			c := find(t, checks, tt.check, testService)
			if failed := c.Status == event.StatusFail; failed != tt.wantFail || !strings.Contains(c.Message, tt.wantInMsg) {
				t.Fatalf("%s = %s %q; want failed %v with %q", tt.check, c.Status, c.Message, tt.wantFail, tt.wantInMsg)
			}
		})
	}
}

// TestLogGroupAndRolesOfTheFile: logs.group and the IAM simulation read the
// revision the run would register: a file that logs to a group that does
// not exist fails, and the task role the file names is the one PassRole is
// simulated on.
func TestLogGroupAndRolesOfTheFile(t *testing.T) {
	t.Parallel()
	w := newWorld()
	file := taskdef.RegisterInput(*w.taskDef, nil)
	file.TaskRoleArn = aws.String("arn:aws:iam::123456789012:role/from-the-file")
	file.ContainerDefinitions[0].LogConfiguration = &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs,
		Options: map[string]string{"awslogs-group": "/ecs/from-the-file", "awslogs-region": testRegion, "awslogs-stream-prefix": "ecs"}}
	checks, _ := runWorld(t, w, func(o *Options) {
		o.TaskDefinitions = map[string]*ecs.RegisterTaskDefinitionInput{testService: file}
	})
	if c := find(t, checks, IDLogsGroup, testService); c.Status != event.StatusFail || !strings.Contains(c.Message, "/ecs/from-the-file") {
		t.Errorf("logs.group = %s %q, want a failure naming /ecs/from-the-file", c.Status, c.Message)
	}
	var passRole []string
	for _, in := range w.simInputs {
		if slices.Contains(in.ActionNames, "iam:PassRole") {
			passRole = append(passRole, in.ResourceArns...)
		}
	}
	if !slices.Contains(passRole, "arn:aws:iam::123456789012:role/from-the-file") {
		t.Errorf("PassRole simulated on %v, want the file's task role among them", passRole)
	}
}
