package result_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/result"
	"github.com/omdeploy/omdeploy/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite docs/result.schema.json from the Go types")

// fieldRules is what the Go types cannot say about a field, keyed by
// "Type.Field".
var fieldRules = map[string]func(s map[string]any) map[string]any{
	"Document.Schema": func(map[string]any) map[string]any {
		return map[string]any{"const": result.Schema}
	},
	"Check.Status": func(s map[string]any) map[string]any {
		s["enum"] = result.CheckStatuses()
		return s
	},
}

// neverNull are the lists Document.MarshalJSON writes as [] when empty.
var neverNull = []string{"Document.Checks", "Document.Services", "Service.Health"}

// reflector builds a JSON Schema (draft 2020-12) from Go types the way
// encoding/json writes them: a struct is an object of its json-tagged
// fields, closed to others; a field without omitempty is required; a nil
// slice or pointer written without omitempty may be null.
type reflector struct {
	defs map[string]any
	docs map[string]string // doc comments by "Type" and "Type.Field"
	errs []string
}

func generateSchema() ([]byte, error) {
	docs, err := docComments(".")
	if err != nil {
		return nil, err
	}
	r := &reflector{defs: map[string]any{}, docs: docs}
	root := r.of(reflect.TypeFor[result.Document]())
	if len(r.errs) > 0 {
		return nil, fmt.Errorf("cannot describe: %s", strings.Join(r.errs, "; "))
	}
	doc := map[string]any{
		"$schema":     "https://json-schema.org/draft/2020-12/schema",
		"title":       "omdeploy result document",
		"description": "The one document an omdeploy command writes on stdout with --output json. Generated from internal/result by `go test ./internal/result -update`; do not edit.",
		"$ref":        root["$ref"],
		"$defs":       r.defs,
	}
	b, err := json.MarshalIndent(doc, "", "  ")
	return append(b, '\n'), err
}

func (r *reflector) of(t reflect.Type) map[string]any {
	switch t {
	case reflect.TypeFor[time.Duration]():
		return map[string]any{"type": "integer", "description": "nanoseconds"}
	case reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case reflect.TypeFor[failure.Stage]():
		return map[string]any{"type": "string", "enum": failure.Stages()}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Pointer:
		return r.of(t.Elem())
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": r.of(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			r.errs = append(r.errs, fmt.Sprintf("%s: map keys must be strings", t))
		}
		return map[string]any{"type": "object", "additionalProperties": r.of(t.Elem())}
	case reflect.Struct:
		if _, done := r.defs[t.Name()]; !done {
			r.defs[t.Name()] = nil // a recursive type refers to itself
			r.defs[t.Name()] = r.object(t)
		}
		return map[string]any{"$ref": "#/$defs/" + t.Name()}
	}
	// interfaces, channels, funcs: the contract has no untyped fields.
	r.errs = append(r.errs, fmt.Sprintf("%s has no JSON Schema", t))
	return map[string]any{}
}

func (r *reflector) object(t reflect.Type) map[string]any {
	props := map[string]any{}
	required := []string{}
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if f.Anonymous {
			r.errs = append(r.errs, fmt.Sprintf("%s.%s: embedded fields are not described", t.Name(), f.Name))
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		omitEmpty := slices.Contains(strings.Split(opts, ","), "omitempty")
		key := t.Name() + "." + f.Name
		s := r.of(f.Type)
		if rule, ok := fieldRules[key]; ok {
			s = rule(s)
		}
		if d := r.docs[key]; d != "" {
			s = withDescription(s, d)
		}
		if k := f.Type.Kind(); !omitEmpty && (k == reflect.Pointer || k == reflect.Map ||
			k == reflect.Slice && !slices.Contains(neverNull, key)) {
			s = map[string]any{"anyOf": []any{s, map[string]any{"type": "null"}}}
		}
		props[name] = s
		if !omitEmpty {
			required = append(required, name)
		}
	}
	obj := map[string]any{"type": "object", "properties": props, "required": required, "additionalProperties": false}
	if d := r.docs[t.Name()]; d != "" {
		obj["description"] = d
	}
	return obj
}

// withDescription adds d to a copy of s, after what s already says (a
// duration's unit).
func withDescription(s map[string]any, d string) map[string]any {
	out := maps.Clone(s)
	if unit, ok := s["description"].(string); ok {
		d += " (" + unit + ")"
	}
	out["description"] = d
	return out
}

// docComments reads the doc and line comments of the types and fields in
// the Go package in dir, so the schema says what the code says.
func docComments(dir string) (map[string]string, error) {
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	docs := map[string]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				docs[ts.Name.Name] = comment(ts.Doc, gd.Doc)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, field := range st.Fields.List {
					for _, n := range field.Names {
						docs[ts.Name.Name+"."+n.Name] = comment(field.Doc, field.Comment)
					}
				}
			}
		}
	}
	return docs, nil
}

// comment is the text of the first non-empty group, on one line.
func comment(groups ...*ast.CommentGroup) string {
	for _, g := range groups {
		if text := strings.Join(strings.Fields(g.Text()), " "); text != "" {
			return text
		}
	}
	return ""
}

// TestSchemaFileIsCurrent fails when docs/result.schema.json does not
// match the Go types, e.g. after a field was added to the document but the
// file was not regenerated.
func TestSchemaFileIsCurrent(t *testing.T) {
	got, err := generateSchema()
	if err != nil {
		t.Fatal(err)
	}
	root, err := testenv.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	testenv.Golden(t, filepath.Join(root, testenv.SchemaFile), string(got), *update)
}
