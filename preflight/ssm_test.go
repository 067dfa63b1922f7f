package preflight

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

func setSecrets(w *world, values ...string) {
	var secrets []ecstypes.Secret
	for i, v := range values {
		secrets = append(secrets, ecstypes.Secret{Name: aws.String(fmt.Sprintf("S%d", i)), ValueFrom: aws.String(v)})
	}
	w.taskDef.ContainerDefinitions[0].Secrets = secrets
}

func TestSSMParameters(t *testing.T) {
	t.Parallel()
	const euARN = "arn:aws:ssm:eu-west-1:123456789012:parameter/tech/eu-only"
	const smARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:tech/db-AbCdEf"
	tests := []struct {
		name        string
		breakIt     func(*world)
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
	}{
		{
			name:       "all exist",
			breakIt:    func(*world) {},
			wantStatus: event.StatusPass, wantInMsg: []string{"all 1 SSM parameter(s)", "values not read"},
		},
		{
			name:        "missing name reported with its region",
			breakIt:     func(w *world) { setSecrets(w, "/tech/db-url", "/tech/typo") },
			wantStatus:  event.StatusFail,
			wantRunbook: runbook.SSMParameterMissing,
			wantInMsg:   []string{"missing in us-east-1: /tech/typo", "1 of 2"},
		},
		{
			name: "an ARN is checked in the region it names",
			breakIt: func(w *world) {
				setSecrets(w, "/tech/db-url", euARN)
				w.params["eu-west-1"] = []string{euARN}
			},
			wantStatus: event.StatusPass, wantInMsg: []string{"us-east-1: 1", "eu-west-1: 1"},
		},
		{
			name: "an ARN missing in its region",
			breakIt: func(w *world) {
				setSecrets(w, euARN)
				w.params[testRegion] = append(w.params[testRegion], euARN) // in the run's region only
			},
			wantStatus: event.StatusFail, wantRunbook: runbook.SSMParameterMissing,
			wantInMsg: []string{"missing in eu-west-1: " + euARN},
		},
		{
			name:       "Secrets Manager references are left to secrets.exist",
			breakIt:    func(w *world) { setSecrets(w, smARN) },
			wantStatus: event.StatusPass, wantInMsg: []string{"references no SSM parameter; 1 Secrets Manager secret(s) checked by secrets.exist"},
		},
		{
			name:       "no secrets",
			breakIt:    func(w *world) { setSecrets(w) },
			wantStatus: event.StatusPass, wantInMsg: []string{"references no SSM parameter"},
		},
		{
			name:       "GetParameters denied cannot tell: warn",
			breakIt:    func(w *world) { w.ssmErr = apiErr("AccessDeniedException") },
			wantStatus: event.StatusWarn, wantRunbook: runbook.AWSAccessDenied, wantInMsg: []string{"could not check 1 parameter(s)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			tt.breakIt(w)
			checks, _ := runWorld(t, w, nil)
			c := find(t, checks, IDSSMParameters, testService)
			expect(t, c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			for _, call := range w.calls() {
				if call.decrypt {
					t.Fatalf("GetParameters asked for decryption: %+v", call)
				}
			}
		})
	}
}

func TestSSMMissingFixNamesParameterAndRegion(t *testing.T) {
	t.Parallel()
	w := newWorld()
	checks, _ := runWorld(t, w, func(o *Options) { o.Config.SSMParameters = []string{"/shared/api-key", "/shared/gone"} })
	c := find(t, checks, IDSSMParameters, "")
	if c.Status != event.StatusFail || !strings.Contains(c.Message, "missing in us-east-1: /shared/gone") {
		t.Fatalf("run-wide ssm.parameters = %+v", c)
	}
	if want := runbook.Fix(runbook.SSMParameterMissing, map[string]string{"region": testRegion, "names": "/shared/gone"}); c.Fix != want {
		t.Fatalf("fix = %q\nwant  %q", c.Fix, want)
	}
}

func TestSSMBatchesOfTen(t *testing.T) {
	t.Parallel()
	w := newWorld()
	var names []string
	for i := range 23 {
		names = append(names, fmt.Sprintf("/p/%02d", i))
	}
	w.params[testRegion] = names
	checks, _ := runWorld(t, w, func(o *Options) { o.Config.SSMParameters = append(names, names[0]) }) // a duplicate too
	if c := find(t, checks, IDSSMParameters, ""); c.Status != event.StatusPass || !strings.Contains(c.Message, "all 23") {
		t.Fatalf("ssm.parameters = %+v", c)
	}
	var sizes []int
	var asked []string
	for _, call := range w.calls() {
		if slices.Contains(call.names, "/p/00") || strings.HasPrefix(call.names[0], "/p/") {
			sizes = append(sizes, len(call.names))
			asked = append(asked, call.names...)
		}
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{3, 10, 10}) {
		t.Fatalf("batch sizes = %v, want [3 10 10]", sizes)
	}
	slices.Sort(asked)
	if !slices.Equal(asked, names) {
		t.Fatalf("asked %v", asked)
	}
}

// An SSM ARN of the run's account and region is asked for by its name (the
// form moto resolves); the message still names the reference as written.
// ARNs of another region or account are asked for as written.
func TestSSMParameterARNs(t *testing.T) {
	t.Parallel()
	const (
		hierARN   = "arn:aws:ssm:us-east-1:123456789012:parameter/tech/db-url"
		plainARN  = "arn:aws:ssm:us-east-1:123456789012:parameter/plain"
		goneARN   = "arn:aws:ssm:us-east-1:123456789012:parameter/tech/gone"
		otherAcct = "arn:aws:ssm:us-east-1:999999999999:parameter/tech/db-url"
		otherRgn  = "arn:aws:ssm:eu-west-1:123456789012:parameter/tech/eu"
	)
	tests := []struct {
		name        string
		secrets     []string
		params      map[string][]string // what exists, by region
		wantStatus  string
		wantRunbook string
		wantInMsg   []string
		wantAsked   map[string][]string // region -> names asked
		wantFixName string
	}{
		{
			name:       "hierarchical and plain names, by name",
			secrets:    []string{hierARN, plainARN},
			params:     map[string][]string{testRegion: {"/tech/db-url", "plain"}},
			wantStatus: event.StatusPass, wantInMsg: []string{"all 2 SSM parameter(s)"},
			wantAsked: map[string][]string{testRegion: {"/tech/db-url", "plain"}},
		},
		{
			name:       "an ARN and its name are asked once",
			secrets:    []string{"/tech/db-url", hierARN},
			params:     map[string][]string{testRegion: {"/tech/db-url"}},
			wantStatus: event.StatusPass, wantInMsg: []string{"all 1 SSM parameter(s)"},
			wantAsked: map[string][]string{testRegion: {"/tech/db-url"}},
		},
		{
			name:        "missing one is named as written, fixed by name",
			secrets:     []string{hierARN, goneARN},
			params:      map[string][]string{testRegion: {"/tech/db-url"}},
			wantStatus:  event.StatusFail,
			wantRunbook: runbook.SSMParameterMissing,
			wantInMsg:   []string{"missing in us-east-1: " + goneARN, "1 of 2"},
			wantAsked:   map[string][]string{testRegion: {"/tech/db-url", "/tech/gone"}},
			wantFixName: "/tech/gone",
		},
		{
			name:       "another account's ARN is asked as written",
			secrets:    []string{otherAcct},
			params:     map[string][]string{testRegion: {otherAcct}},
			wantStatus: event.StatusPass,
			wantAsked:  map[string][]string{testRegion: {otherAcct}},
		},
		{
			name:       "another region's ARN is asked there as written",
			secrets:    []string{otherRgn},
			params:     map[string][]string{"eu-west-1": {otherRgn}},
			wantStatus: event.StatusPass, wantInMsg: []string{"eu-west-1: 1"},
			wantAsked: map[string][]string{"eu-west-1": {otherRgn}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld()
			setSecrets(w, tt.secrets...)
			w.params = tt.params
			checks, _ := runWorld(t, w, nil)
			c := find(t, checks, IDSSMParameters, testService)
			expect(t, c, tt.wantStatus, tt.wantRunbook, tt.wantInMsg...)
			asked := map[string][]string{}
			for _, call := range w.calls() {
				asked[call.region] = append(asked[call.region], call.names...)
			}
			for rg, names := range tt.wantAsked {
				if !slices.Equal(asked[rg], names) {
					t.Errorf("asked %v in %s, want %v", asked[rg], rg, names)
				}
			}
			if tt.wantFixName != "" && !strings.Contains(c.Fix, "--names "+tt.wantFixName) {
				t.Errorf("fix %q does not name %s", c.Fix, tt.wantFixName)
			}
		})
	}
}
