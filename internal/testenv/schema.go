package testenv

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// SchemaFile is the JSON Schema of the result document, relative to the
// module root; internal/result's tests generate it.
const SchemaFile = "docs/result.schema.json"

var (
	schemaOnce sync.Once
	schema     *jsonschema.Schema
	schemaErr  error
)

// ResultSchema compiles SchemaFile once per test binary, asserting formats
// (date-time) as well as types.
func ResultSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	schemaOnce.Do(func() {
		var root string
		if root, schemaErr = ModuleRoot(); schemaErr != nil {
			return
		}
		schema, schemaErr = CompileSchema(filepath.Join(root, SchemaFile))
	})
	if schemaErr != nil {
		t.Fatalf("result schema: %v", schemaErr)
	}
	return schema
}

// CompileSchema compiles the JSON Schema in the file at path.
func CompileSchema(path string) (*jsonschema.Schema, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(path, doc); err != nil {
		return nil, err
	}
	return c.Compile(path)
}

// ValidDocument fails the test unless stdout holds exactly one JSON
// document that the result schema accepts.
func ValidDocument(t testing.TB, stdout string) {
	t.Helper()
	if err := CheckDocument(ResultSchema(t), stdout); err != nil {
		t.Fatalf("stdout is not one valid result document: %v\nstdout:\n%s", err, stdout)
	}
}

// CheckDocument says why text is not exactly one JSON document valid
// against sch, or returns nil.
func CheckDocument(sch *jsonschema.Schema, text string) error {
	dec := json.NewDecoder(bytes.NewReader([]byte(text)))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("more than one JSON value")
	}
	return sch.Validate(v)
}

// ModuleRoot is the directory of go.mod above the working directory, where
// go test runs a package's tests.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
