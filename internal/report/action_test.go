package report

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// actionFile is the part of action.yml this test reads.
type actionFile struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Inputs      map[string]struct {
		Description string  `yaml:"description"`
		Default     *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Description string `yaml:"description"`
		Value       string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	Name  string            `yaml:"name"`
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	With  map[string]string `yaml:"with"`
	Env   map[string]string `yaml:"env"`
}

var (
	inputRef  = regexp.MustCompile(`\binputs\.([A-Za-z0-9_-]+)`)
	stepRef   = regexp.MustCompile(`\bsteps\.([A-Za-z0-9_-]+)\.outputs\.([A-Za-z0-9_-]+)`)
	exprRef   = regexp.MustCompile(`\$\{\{[^}]*\}\}`)
	pinnedUse = regexp.MustCompile(`^[\w.-]+/[\w.-]+@v\d+$`)
)

// TestActionYAML checks the composite action the way the runner would
// read it: every input referenced is declared and every declared one used,
// steps refer only to earlier steps, the outputs are exactly the ones the
// renderer writes to $GITHUB_OUTPUT, and each script parses with bash -n.
func TestActionYAML(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "action.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var a actionFile
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	if a.Name == "" || a.Description == "" || a.Runs.Using != "composite" {
		t.Fatalf("name %q, description %q, runs.using %q: want a described composite action", a.Name, a.Description, a.Runs.Using)
	}

	used := map[string]bool{}
	seen := map[string]bool{} // step ids defined so far
	for i, s := range a.Runs.Steps {
		where := s.Name
		if where == "" {
			where = "step " + string(rune('1'+i))
		}
		if (s.Run == "") == (s.Uses == "") {
			t.Errorf("%s: needs exactly one of run and uses", where)
		}
		if s.Run != "" && s.Shell == "" {
			t.Errorf("%s: a run step of a composite action needs a shell", where)
		}
		if s.Uses != "" && !pinnedUse.MatchString(s.Uses) {
			t.Errorf("%s: uses %q is not pinned to a major version", where, s.Uses)
		}
		if exprRef.MatchString(s.Run) {
			t.Errorf("%s: pass values to the script through env, not ${{ }} in run (script injection)", where)
		}
		texts := []string{s.If, s.Run}
		for _, m := range []map[string]string{s.With, s.Env} {
			for _, v := range m {
				texts = append(texts, v)
			}
		}
		for _, text := range texts {
			for _, m := range inputRef.FindAllStringSubmatch(text, -1) {
				used[m[1]] = true
				if _, ok := a.Inputs[m[1]]; !ok {
					t.Errorf("%s: inputs.%s is not declared", where, m[1])
				}
			}
			for _, m := range stepRef.FindAllStringSubmatch(text, -1) {
				if !seen[m[1]] {
					t.Errorf("%s: steps.%s is not an earlier step", where, m[1])
				}
			}
		}
		if s.ID != "" {
			if seen[s.ID] {
				t.Errorf("duplicate step id %q", s.ID)
			}
			seen[s.ID] = true
		}
		if s.Run != "" {
			bashSyntax(t, where, s.Run)
		}
	}
	for name, in := range a.Inputs {
		if in.Description == "" {
			t.Errorf("input %s has no description", name)
		}
		if !used[name] {
			t.Errorf("input %s is declared but never used", name)
		}
	}

	want := []string{outputResult, outputExitCode, outputStage, outputTaskDef, outputDeploymentID, outputServices}
	var got []string
	for name, out := range a.Outputs {
		got = append(got, name)
		if out.Description == "" {
			t.Errorf("output %s has no description", name)
		}
		m := stepRef.FindStringSubmatch(out.Value)
		if m == nil || !seen[m[1]] || m[2] != name {
			t.Errorf("output %s = %q: want ${{ steps.<id>.outputs.%s }} of a step of the action", name, out.Value, name)
		}
	}
	sort.Strings(got)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("outputs %v, want the names the renderer writes: %v", got, want)
	}
}

// bashSyntax parses a run script with bash -n, when bash is installed.
func bashSyntax(t *testing.T, where, script string) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		return
	}
	cmd := exec.Command(bash, "-n")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("%s: bash -n: %v: %s", where, err, out)
	}
}
