package report

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSwitchesNameEveryEventType keeps a view from dropping an event type
// silently. It reads the event types from internal/event's source (every
// type with an isEvent method, so a new type is caught without a list to
// update) and requires every type switch in this package that names one of
// them to name all of them: the types a view ignores on purpose are listed
// in an empty case, and no switch over events has a default.
func TestSwitchesNameEveryEventType(t *testing.T) {
	_, eventFiles := parseDir(t, "../event")
	types := eventTypes(t, eventFiles)
	if len(types) < 2 {
		t.Fatalf("found event types %q in internal/event: is isEvent renamed?", types)
	}
	fset, files := parseDir(t, ".")
	problems, checked := uncovered(fset, files, types)
	for _, p := range problems {
		t.Error(p)
	}
	// The check must not pass by finding nothing: each view has a switch.
	for _, view := range []string{"plain.go", "logrecord.go", "live.go", "actions.go", "failures.go"} {
		if checked[view] == 0 {
			t.Errorf("no type switch over events found in %s", view)
		}
	}
}

// TestUncoveredFindsAMissingType is the check failing: a switch that
// forgets a type, and one that hides it behind a default.
func TestUncoveredFindsAMissingType(t *testing.T) {
	tests := []struct {
		name, body string
		want       string // in the problem reported; "" for none
	}{
		{"all named", "case event.A:\n\tcase event.B, event.C:", ""},
		{"one forgotten", "case event.A, event.B:", "does not name event.C"},
		{"default hides the rest", "case event.A:\n\tdefault:", "has a default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := "package p\nfunc f(e any) {\n\tswitch e.(type) {\n\t" + tt.body + "\n\t}\n}\n"
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, "p.go", src, 0)
			if err != nil {
				t.Fatal(err)
			}
			problems, _ := uncovered(fset, map[string]*ast.File{"p.go": f}, []string{"A", "B", "C"})
			got := strings.Join(problems, "\n")
			if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
				t.Fatalf("problems %q, want %q", got, tt.want)
			}
		})
	}
}

// parseDir parses the package's non-test files in dir, by file name.
func parseDir(t *testing.T, dir string) (*token.FileSet, map[string]*ast.File) {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]*ast.File{}
	fset := token.NewFileSet()
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(name)] = f
	}
	return fset, files
}

// eventTypes are the receiver types of the isEvent methods, sorted.
func eventTypes(t *testing.T, files map[string]*ast.File) []string {
	t.Helper()
	var types []string
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != "isEvent" || fd.Recv == nil || len(fd.Recv.List) != 1 {
				continue
			}
			recv := fd.Recv.List[0].Type
			if star, ok := recv.(*ast.StarExpr); ok {
				recv = star.X
			}
			if id, ok := recv.(*ast.Ident); ok {
				types = append(types, id.Name)
			}
		}
	}
	slices.Sort(types)
	return types
}

// uncovered checks every type switch that names an event type (event.X
// for X in types) and describes those that do not name them all or have a
// default. checked counts the switches over events in each file.
func uncovered(fset *token.FileSet, files map[string]*ast.File, types []string) (problems []string, checked map[string]int) {
	checked = map[string]int{}
	for name, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			sw, ok := n.(*ast.TypeSwitchStmt)
			if !ok {
				return true
			}
			named, hasDefault := map[string]bool{}, false
			for _, stmt := range sw.Body.List {
				cc := stmt.(*ast.CaseClause)
				if cc.List == nil {
					hasDefault = true
				}
				for _, expr := range cc.List {
					if sel, ok := expr.(*ast.SelectorExpr); ok {
						if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "event" && slices.Contains(types, sel.Sel.Name) {
							named[sel.Sel.Name] = true
						}
					}
				}
			}
			if len(named) == 0 {
				return true
			}
			checked[name]++
			where := fmt.Sprintf("%s: the type switch at line %d", name, fset.Position(sw.Pos()).Line)
			if hasDefault {
				problems = append(problems, where+" has a default, which would hide a new event type: list the types it stands for")
			}
			var missing []string
			for _, typ := range types {
				if !named[typ] {
					missing = append(missing, "event."+typ)
				}
			}
			if missing != nil {
				problems = append(problems, fmt.Sprintf("%s does not name %s: handle them, or list them in the case of the types the view ignores on purpose",
					where, strings.Join(missing, ", ")))
			}
			return true
		})
	}
	slices.Sort(problems)
	return problems, checked
}
