// Package taskdef reads and writes task definitions as code: a file in the
// shape of ECS's RegisterTaskDefinition input, with the API's JSON field
// names (family, containerDefinitions, cpu, ...), in JSON or YAML.
//
// Reading is strict: an unknown field, a value of the wrong kind or an enum
// value ECS does not know is an error at FILE:LINE:COL (*config.Error), and
// ${VAR} in values expands under the config file's rules. JSON is read with
// the YAML parser, of which it is a subset, so both get the same positions,
// the same duplicate-key check and the same node walk as the config file.
//
// The SDK's types have no JSON tags (they are serialised by generated
// code), so neither encoding/json nor yaml.v3 can fill them by name: the
// walk maps each field's API name, its Go name with the first letter
// lowercased, by reflection.
package taskdef

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"gopkg.in/yaml.v3"

	"github.com/omdeploy/omdeploy/config"
)

// maxSize bounds a task definition file; ECS's own limit is 64 KiB.
const maxSize = 1 << 20

// Load reads the task definition file at path; lookup resolves ${VAR}.
func Load(path string, lookup func(string) (string, bool)) (*ecs.RegisterTaskDefinitionInput, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("read the task definition: %v", err)}
	}
	if len(data) > maxSize {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("the task definition is %d bytes; at most %d are read", len(data), maxSize)}
	}
	return Parse(path, data, lookup)
}

// Parse reads a task definition from data, naming path in errors.
func Parse(path string, data []byte, lookup func(string) (string, bool)) (*ecs.RegisterTaskDefinitionInput, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &config.Error{File: path, Msg: fmt.Sprintf("not valid JSON or YAML: %v", strings.TrimPrefix(err.Error(), "yaml: "))}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, &config.Error{File: path, Msg: "the task definition is empty"}
	}
	d := decoder{path: path, lookup: lookup}
	in := &ecs.RegisterTaskDefinitionInput{}
	if err := d.value(doc.Content[0], reflect.ValueOf(in).Elem(), ""); err != nil {
		return nil, err
	}
	return in, nil
}

type decoder struct {
	path   string
	lookup func(string) (string, bool)
	depth  int
}

func (d *decoder) errorf(n *yaml.Node, format string, args ...any) error {
	return &config.Error{File: d.path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// label names the value at where (a path such as
// "containerDefinitions[0].image", "" for the whole file) in messages.
func label(where string) string {
	if where == "" {
		return "the task definition"
	}
	return where
}

// field is the path of field name under where.
func field(where, name string) string {
	if where == "" {
		return name
	}
	return where + "." + name
}

// maxDepth bounds nesting, which the SDK's types never take past a handful
// of levels, so that hostile input cannot exhaust the stack.
const maxDepth = 32

// value decodes n into v; where names v in errors.
func (d *decoder) value(n *yaml.Node, v reflect.Value, where string) error {
	if d.depth++; d.depth > maxDepth {
		return d.errorf(n, "%s: nested too deep", label(where))
	}
	defer func() { d.depth-- }()
	if n.Kind == yaml.AliasNode {
		return d.errorf(n, "%s: YAML aliases are not supported in a task definition", label(where))
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil // unset, as if absent
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		if err := d.value(n, p.Elem(), where); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return d.object(n, v, where)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return d.errorf(n, "%s: expected a list, got %s", label(where), kindName(n))
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, e := range n.Content {
			if err := d.value(e, s.Index(i), fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.Map:
		if n.Kind != yaml.MappingNode || v.Type().Key().Kind() != reflect.String {
			return d.errorf(n, "%s: expected a mapping, got %s", label(where), kindName(n))
		}
		m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if m.MapIndex(reflect.ValueOf(k.Value)).IsValid() {
				return d.errorf(k, "%s: duplicate key %q", label(where), k.Value)
			}
			e := reflect.New(v.Type().Elem()).Elem()
			if err := d.value(n.Content[i+1], e, where+"["+k.Value+"]"); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), e)
		}
		v.Set(m)
		return nil
	}
	return d.scalar(n, v, where)
}

// object decodes a mapping into a struct by the fields' API names,
// refusing any other key.
func (d *decoder) object(n *yaml.Node, v reflect.Value, where string) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, "%s: expected a mapping, got %s", label(where), kindName(n))
	}
	t := v.Type()
	byName := map[string]int{}
	for i := range t.NumField() {
		if sf := t.Field(i); sf.IsExported() {
			byName[JSONName(sf.Name)] = i
		}
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		f, ok := byName[k.Value]
		if !ok {
			names := make([]string, 0, len(byName))
			for name := range byName {
				names = append(names, name)
			}
			slices.Sort(names)
			return d.errorf(k, "unknown field %q in %s; expected one of %s", k.Value, label(where), strings.Join(names, ", "))
		}
		if seen[k.Value] {
			return d.errorf(k, "duplicate field %q in %s", k.Value, label(where))
		}
		seen[k.Value] = true
		if err := d.value(n.Content[i+1], v.Field(f), field(where, k.Value)); err != nil {
			return err
		}
	}
	return nil
}

// scalar decodes a scalar, after ${VAR} expansion, into a string, an enum
// (checked against the values the SDK knows), a number or a bool.
func (d *decoder) scalar(n *yaml.Node, v reflect.Value, where string) error {
	if n.Kind != yaml.ScalarNode {
		return d.errorf(n, "%s: expected a single value, got %s", label(where), kindName(n))
	}
	s, err := config.Expand(n.Value, d.lookup)
	if err != nil {
		return d.errorf(n, "%s: %v", label(where), err)
	}
	switch v.Kind() {
	case reflect.String:
		if known := enumValues(v.Type()); known != nil && !slices.Contains(known, s) {
			return d.errorf(n, "%s: %q is not one of %s", label(where), s, strings.Join(known, ", "))
		}
		v.SetString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return d.errorf(n, "%s: %q is not a whole number that fits %d bits", label(where), s, v.Type().Bits())
		}
		v.SetInt(i)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return d.errorf(n, "%s: %q is not a number", label(where), s)
		}
		v.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil || (s != "true" && s != "false") {
			return d.errorf(n, "%s: %q is not true or false", label(where), s)
		}
		v.SetBool(b)
	default:
		return d.errorf(n, "%s: fields of type %s are not supported in a task definition file", label(where), v.Type())
	}
	return nil
}

// enumValues lists the values of an SDK enum type (which has a Values
// method), or nil for a plain string.
func enumValues(t reflect.Type) []string {
	m, ok := t.MethodByName("Values")
	if !ok || t.PkgPath() == "" {
		return nil
	}
	out := m.Func.Call([]reflect.Value{reflect.Zero(t)})[0]
	if out.Kind() != reflect.Slice {
		return nil
	}
	vals := make([]string, out.Len())
	for i := range vals {
		vals[i] = out.Index(i).String()
	}
	return vals
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// JSONName is the API's JSON name of a field of the SDK: its Go name with
// the first letter lowercased (ContainerDefinitions → containerDefinitions).
func JSONName(goName string) string {
	r, n := utf8.DecodeRuneInString(goName)
	return string(unicode.ToLower(r)) + goName[n:]
}

// Marshal writes in as indented JSON with the API's field names: the body
// RegisterTaskDefinition receives, and a file Parse reads back to in. Unset
// fields, empty lists and maps, and zero numbers that are not pointers
// (which the SDK does not send) are left out.
func Marshal(in *ecs.RegisterTaskDefinitionInput) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(plain(reflect.ValueOf(in))); err != nil {
		return nil, fmt.Errorf("encode the task definition: %w", err)
	}
	return b.Bytes(), nil
}

// plain converts v to maps, lists and scalars for encoding/json, keyed by
// the API's names; nil is left out.
func plain(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if e := v.Elem(); e.Kind() != reflect.Struct {
			return e.Interface() // a set pointer is sent, zero or not
		}
		return plain(v.Elem())
	case reflect.Struct:
		m := map[string]any{}
		t := v.Type()
		for i := range t.NumField() {
			if sf := t.Field(i); sf.IsExported() {
				if x := plain(v.Field(i)); x != nil {
					m[JSONName(sf.Name)] = x
				}
			}
		}
		return m
	case reflect.Slice:
		if v.Len() == 0 {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		m := map[string]any{}
		for it := v.MapRange(); it.Next(); {
			m[it.Key().String()] = plain(it.Value())
		}
		return m
	}
	if v.IsZero() {
		return nil
	}
	return v.Interface()
}
