package taskdef

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/config"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func web() *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		NetworkMode:             ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::123456789012:role/exec"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:             aws.String("app"),
			Image:            aws.String("repo/web:v7"),
			Essential:        aws.Bool(true),
			PortMappings:     []ecstypes.PortMapping{{ContainerPort: aws.Int32(8080), Protocol: ecstypes.TransportProtocolTcp}},
			Environment:      []ecstypes.KeyValuePair{{Name: aws.String("LOG_LEVEL"), Value: aws.String("info")}},
			Secrets:          []ecstypes.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("/prod/web/db")}},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "/ecs/web"}},
		}},
		Tags: []ecstypes.Tag{{Key: aws.String("team"), Value: aws.String("core")}},
	}
}

// TestLoad: the JSON and the YAML form read to the same input, with
// ${VAR} expanded.
func TestLoad(t *testing.T) {
	for _, name := range []string{"web.json", "web.yaml"} {
		t.Run(name, func(t *testing.T) {
			got, err := Load(filepath.Join("testdata", name), env(map[string]string{"TAG": "v7"}))
			if err != nil {
				t.Fatal(err)
			}
			if want := web(); !reflect.DeepEqual(got, want) {
				t.Errorf("Load:\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestParseErrors: every problem is a *config.Error at the position of
// what is wrong.
func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"unknown top-level field in JSON", "{\n  \"family\": \"web\",\n  \"cpus\": \"256\"\n}", `td.json:3:3: unknown field "cpus" in the task definition; expected one of `},
		{"unknown container field in JSON", `{"containerDefinitions": [{"name": "a", "imag": "x"}]}`, `td.json:1:41: unknown field "imag" in containerDefinitions[0]`},
		{"unknown field in YAML", "family: web\ncontainerDefinitions:\n  - name: a\n    portMapings: []\n", `td.json:4:5: unknown field "portMapings" in containerDefinitions[0]`},
		{"server-only field", `{"revision": 3}`, `td.json:1:2: unknown field "revision"`},
		{"enum value", `{"networkMode": "vpc"}`, `td.json:1:17: networkMode: "vpc" is not one of`},
		{"number", `{"containerDefinitions": [{"memory": "lots"}]}`, `"lots" is not a whole number`},
		{"bool", `{"containerDefinitions": [{"essential": "yes"}]}`, `"yes" is not true or false`},
		{"list expected", `{"containerDefinitions": {"name": "a"}}`, `td.json:1:26: containerDefinitions: expected a list, got a mapping`},
		{"duplicate field", "family: a\nfamily: b\n", `td.json:2:1: duplicate field "family" in the task definition`},
		{"unset variable", `{"family": "${NOPE}"}`, `td.json:1:12: family: `},
		{"not a mapping", `[1, 2]`, `td.json:1:1: the task definition: expected a mapping, got a list`},
		{"syntax", `{"family": `, `td.json: not valid JSON or YAML`},
		{"empty", ``, `td.json: the task definition is empty`},
		{"alias", "family: &a web\ncpu: *a\n", `td.json:2:6: cpu: YAML aliases are not supported`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("td.json", []byte(tt.data), env(nil))
			var ce *config.Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse: %v, want a *config.Error containing %q", err, tt.want)
			}
		})
	}
}

// TestMarshalRoundTrip: what Marshal writes, Parse reads back to the same
// input, in the API's field names.
func TestMarshalRoundTrip(t *testing.T) {
	b, err := Marshal(web())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{`"containerDefinitions": [`, `"valueFrom": "/prod/web/db"`, `"containerPort": 8080`} {
		if !strings.Contains(string(b), s) {
			t.Errorf("Marshal lacks %s:\n%s", s, b)
		}
	}
	got, err := Parse("td.json", b, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, web()) {
		t.Errorf("round trip:\n got %+v\nwant %+v", got, web())
	}
}

func TestLoadMissing(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.json"), env(nil))
	var ce *config.Error
	if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) && !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Load: %v", err)
	}
}
