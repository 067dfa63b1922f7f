package deploy

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/omdeploy/omdeploy/internal/result"
)

// Diff lists, field by field, what registering want would change in the
// revision that has, registered, cur (both as registerInput builds them).
// Both sides are normalised first so that what is not a change never shows:
// unset versus empty or zero, the defaults ECS fills in (essential true,
// protocol tcp, hostPort equal to containerPort on awsvpc), and the order
// of containers, environment variables, secrets, tags and port mappings.
//
// Paths use the API's JSON field names: "cpu",
// "containerDefinitions[app].environment[LOG_LEVEL]"; an element of a list
// keyed by name that only one side has is "[+name]" (added) or "[-name]"
// (removed), with the whole element as its value. Secrets show their
// valueFrom references, which is all a task definition holds.
func Diff(cur, want *ecs.RegisterTaskDefinitionInput) []result.Change {
	var out []result.Change
	diffNodes(&out, "", tree(reflect.ValueOf(normalised(cur)), ""), tree(reflect.ValueOf(normalised(want)), ""))
	return out
}

// normalised is a copy of in with the defaults ECS fills in made explicit,
// so that a definition that leaves them out and the one ECS answers with
// compare equal. Nothing in in is modified.
func normalised(in *ecs.RegisterTaskDefinitionInput) *ecs.RegisterTaskDefinitionInput {
	if in == nil {
		return &ecs.RegisterTaskDefinitionInput{}
	}
	n := *in
	n.ContainerDefinitions = slices.Clone(in.ContainerDefinitions)
	for i := range n.ContainerDefinitions {
		c := &n.ContainerDefinitions[i]
		if c.Essential == nil {
			c.Essential = aws.Bool(true)
		}
		c.PortMappings = slices.Clone(c.PortMappings)
		for j := range c.PortMappings {
			pm := &c.PortMappings[j]
			if pm.Protocol == "" {
				pm.Protocol = ecstypes.TransportProtocolTcp
			}
			if n.NetworkMode == ecstypes.NetworkModeAwsvpc && aws.ToInt32(pm.HostPort) == 0 && pm.ContainerPort != nil {
				pm.HostPort = pm.ContainerPort
			}
		}
	}
	return &n
}

// The normalised tree a task definition is compared as: fields (a struct's
// set fields by JSON name), keyed (a list whose elements have unique names
// or keys, or a map) and leaves (string, int64, float64, bool, or a list
// kept whole). Unset, empty and zero values are absent: nil.
type (
	fields map[string]any
	keyed  map[string]any
)

// tree converts v. field is the Go name of the struct field v is, which
// decides the one default that is not the zero value: essential.
func tree(v reflect.Value, field string) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		if v.Elem().Kind() == reflect.Bool {
			// A set bool is kept, false included, only for essential:
			// every other bool defaults to false, which is unset.
			if b := v.Elem().Bool(); b || field == "Essential" {
				return b
			}
			return nil
		}
		return tree(v.Elem(), field)
	case reflect.Struct:
		f := fields{}
		t := v.Type()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() {
				continue
			}
			if x := tree(v.Field(i), sf.Name); x != nil {
				f[jsonName(sf.Name)] = x
			}
		}
		if len(f) == 0 {
			return nil
		}
		return f
	case reflect.Slice, reflect.Array:
		return listTree(v)
	case reflect.Map:
		if v.Len() == 0 {
			return nil
		}
		k := keyed{}
		for it := v.MapRange(); it.Next(); {
			if x := tree(it.Value(), ""); x != nil {
				k[it.Key().String()] = x
			}
		}
		return k
	case reflect.String:
		if v.String() == "" {
			return nil
		}
		return v.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Int() == 0 {
			return nil
		}
		return v.Int()
	case reflect.Float32, reflect.Float64:
		if v.Float() == 0 {
			return nil
		}
		return v.Float()
	case reflect.Bool:
		if !v.Bool() {
			return nil
		}
		return true
	}
	return nil
}

// listTree converts a list. Elements named by a unique Name or Key are
// keyed by it, so their order does not count; a name/value pair
// (environment, secrets, tags) becomes name → value. Any other list is one
// leaf: scalars in their order (a command's arguments), structs sorted
// (port and mount points, whose order means nothing).
func listTree(v reflect.Value) any {
	if v.Len() == 0 {
		return nil
	}
	if k, ok := keyedList(v); ok {
		return k
	}
	items := make([]any, 0, v.Len())
	for i := range v.Len() {
		items = append(items, tree(v.Index(i), ""))
	}
	if elem := v.Type().Elem(); elem.Kind() == reflect.Struct || elem.Kind() == reflect.Pointer {
		slices.SortFunc(items, func(a, b any) int { return strings.Compare(render(a), render(b)) })
	}
	return items
}

// keyedList keys v by its elements' Name (or Key) when every element has a
// distinct one.
func keyedList(v reflect.Value) (keyed, bool) {
	elem := v.Type().Elem()
	if elem.Kind() != reflect.Struct {
		return nil, false
	}
	keyField := ""
	for _, name := range []string{"Name", "Key"} {
		if f, ok := elem.FieldByName(name); ok && f.Type == reflect.TypeFor[*string]() {
			keyField = name
			break
		}
	}
	if keyField == "" {
		return nil, false
	}
	// A pair: the key and one other exported field, its value.
	valueField := ""
	exported := 0
	for i := range elem.NumField() {
		if sf := elem.Field(i); sf.IsExported() {
			exported++
			if sf.Name != keyField {
				valueField = sf.Name
			}
		}
	}
	pair := exported == 2
	k := keyed{}
	for i := range v.Len() {
		e := v.Index(i)
		name := aws.ToString(e.FieldByName(keyField).Interface().(*string))
		if _, dup := k[name]; name == "" || dup {
			return nil, false
		}
		var x any
		if pair {
			x = tree(e.FieldByName(valueField), valueField)
		} else {
			x = tree(e, "")
		}
		if x == nil {
			x = fields{} // present, with nothing else set
		}
		k[name] = x
	}
	return k, true
}

// jsonName is the API's JSON name of a Go field of the SDK: its first
// letter lowercased (ContainerDefinitions → containerDefinitions).
func jsonName(goName string) string {
	r, n := utf8.DecodeRuneInString(goName)
	return string(unicode.ToLower(r)) + goName[n:]
}

// diffNodes appends the changes from a to b under path.
func diffNodes(out *[]result.Change, path string, a, b any) {
	if reflect.DeepEqual(a, b) {
		return
	}
	switch fa := a.(type) {
	case fields:
		if fb, ok := b.(fields); ok {
			for _, k := range unionKeys(fa, fb) {
				p := k
				if path != "" {
					p = path + "." + k
				}
				diffNodes(out, p, fa[k], fb[k])
			}
			return
		}
	case keyed:
		if kb, ok := b.(keyed); ok {
			for _, k := range unionKeys(fa, kb) {
				va, inA := fa[k]
				vb, inB := kb[k]
				switch {
				case !inA:
					*out = append(*out, result.Change{Path: path + "[+" + k + "]", New: render(vb)})
				case !inB:
					*out = append(*out, result.Change{Path: path + "[-" + k + "]", Old: render(va)})
				default:
					diffNodes(out, path+"["+k+"]", va, vb)
				}
			}
			return
		}
	}
	*out = append(*out, result.Change{Path: path, Old: render(a), New: render(b)})
}

func unionKeys[M ~map[string]any](a, b M) []string {
	keys := make([]string, 0, len(a)+len(b))
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// render writes a tree node as a change's value: a string as it is, "" for
// unset, anything else as compact JSON (keys sorted).
func render(x any) string {
	switch x := x.(type) {
	case nil:
		return ""
	case string:
		return x
	}
	b, err := json.Marshal(x)
	if err != nil {
		return "?"
	}
	return string(b)
}
