package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/omdeploy/omdeploy/internal/lazyre"
	"gopkg.in/yaml.v3"
)

// MaxSize is the largest config omdeploy reads, in bytes. A deploy config
// is a few kilobytes; the cap keeps a wrong --config (a log, a binary)
// from costing hundreds of megabytes of parse tree before it is refused.
const MaxSize = 1 << 20

// Load reads and validates the config at path. lookup resolves ${VAR}
// (os.LookupEnv in production). Every problem is an *Error with a position.
func Load(path string, lookup func(string) (string, bool)) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Msg: "config file not found; pass --config FILE, set OMDEPLOY_CONFIG, or create one with `omdeploy init`"}
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("read config: %v", err)}
	}
	defer f.Close()
	// The size is checked before reading, so a huge file is never held in
	// memory; the limited read covers what Stat cannot size (a pipe).
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() && st.Size() > MaxSize {
		return nil, tooLarge(path, fmt.Sprintf("%d bytes", st.Size()))
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, &Error{File: path, Msg: fmt.Sprintf("read config: %v", err)}
	}
	if len(data) > MaxSize {
		return nil, tooLarge(path, "more than "+strconv.Itoa(MaxSize)+" bytes")
	}
	return Parse(path, data, lookup)
}

// tooLarge is the error for a config over MaxSize; it points at 1:1, the
// whole file being the problem.
func tooLarge(path, size string) error {
	return &Error{File: path, Line: 1, Col: 1, Msg: fmt.Sprintf("config is %s; the limit is %d bytes (1 MiB): is --config the right file?", size, MaxSize)}
}

// Parse is Load on bytes already read; path is used only in messages.
func Parse(path string, data []byte, lookup func(string) (string, bool)) (*File, error) {
	if len(data) > MaxSize {
		return nil, tooLarge(path, fmt.Sprintf("%d bytes", len(data)))
	}
	doc, next, err := decode(data)
	if err != nil {
		return nil, syntaxError(path, data, err)
	}
	if next != nil {
		// yaml.v3 would read the first document and drop the rest: a
		// config split by a stray "---" would deploy half of itself.
		return nil, &Error{File: path, Line: next.Line, Col: next.Column, Msg: "a second YAML document starts here; the config must be one document (remove the \"---\" line and what follows, or merge them)"}
	}
	if doc == nil || len(doc.Content) == 0 {
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: "config is empty; expected a mapping with at least `services:`"}
	}
	p := &parser{path: path, lookup: lookup, expanded: map[string]string{}}
	if err := p.plain(doc.Content[0]); err != nil {
		return nil, err
	}
	f := &File{Path: path}
	if err := p.file(doc.Content[0], f); err != nil {
		return nil, err
	}
	return f, nil
}

// decode reads the first YAML document of data, and the start of a second
// one when there is one. doc is nil when data holds no document at all.
func decode(data []byte) (doc, next *yaml.Node, err error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var first yaml.Node
	if err := dec.Decode(&first); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, nil
		}
		return nil, nil, err
	}
	var second yaml.Node
	switch err := dec.Decode(&second); {
	case errors.Is(err, io.EOF):
		return &first, nil, nil
	case err != nil:
		return nil, nil, err
	}
	return &first, &second, nil
}

// plain refuses what YAML offers beyond strings, lists and mappings, in
// document order. Explicit tags (!env, !!binary, !!int) would change how a
// value reads, and omdeploy gives them no meaning, so accepting one would
// silently mean something else than the author intended; !!str, !!seq and
// !!map only restate the default. Anchors are refused outright rather than
// expanded: no config needs them, and refusing them means no count to tune
// against alias bombs ("billion laughs"). An alias always comes after its
// anchor (yaml.v3 refuses one to an unknown anchor), so refusing anchors
// refuses every alias.
func (p *parser) plain(n *yaml.Node) error {
	switch {
	case n.Anchor != "":
		return p.errorf(n, "anchor &%s: anchors and aliases are not supported; write the value out", n.Anchor)
	case n.Style&yaml.TaggedStyle != 0 && n.Tag != "!!str" && n.Tag != "!!seq" && n.Tag != "!!map":
		return p.errorf(n, "tag %s is not supported; omdeploy reads plain strings, lists and mappings (remove the tag)", n.Tag)
	}
	for _, c := range n.Content {
		if err := p.plain(c); err != nil {
			return err
		}
	}
	return nil
}

// syntaxError turns a yaml.v3 error into a positioned Error. The line in
// yaml.v3's "yaml: line N: msg" is where the enclosing block started (a
// bad indent on line 3 reads "line 1"), and is missing for a problem on the
// first line, a byte its reader refuses and an alias to an unknown anchor;
// so the position is found here instead: the first bad byte, the unknown
// alias, or the first line at which the file fails the same way.
func syntaxError(path string, data []byte, err error) error {
	line, msg := splitYAMLError(err)
	col := 1
	if l, c, ok := badByte(data); ok && (strings.Contains(msg, "UTF-8") || strings.Contains(msg, "Unicode") || strings.Contains(msg, "control characters")) {
		line, col = l, c
	} else if name, ok := unknownAnchor(msg); ok {
		line, col = positionOf(data, "*"+name)
	} else if l, c, ok := failingLine(data, msg); ok {
		line, col = l, c
	}
	if line <= 0 {
		line, col = 1, 1
	}
	return &Error{File: path, Line: line, Col: col, Msg: "invalid YAML: " + msg}
}

// splitYAMLError reads yaml.v3's "yaml: line N: msg"; line is 0 when the
// error has none.
func splitYAMLError(err error) (line int, msg string) {
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if l, convErr := strconv.Atoi(n); convErr == nil {
				return l, strings.TrimSpace(after)
			}
		}
	}
	return 0, msg
}

// failingLine is the first line such that the file up to and including it
// fails with msg, and the column of that line's first non-blank character:
// the parser reads in order, so that is where it gave up. A shorter prefix
// may fail differently (cut inside a quoted string), which is why the
// message must match. Prefixes are tried by binary search, so a 1 MiB file
// costs some twenty parses, not one per line.
func failingLine(data []byte, msg string) (line, col int, ok bool) {
	var ends []int // ends[i] is the length of the prefix holding lines 1..i+1
	for i, b := range data {
		if b == '\n' {
			ends = append(ends, i+1)
		}
	}
	if len(ends) == 0 || ends[len(ends)-1] != len(data) {
		ends = append(ends, len(data))
	}
	fails := func(i int) bool {
		_, _, err := decode(data[:ends[i]])
		if err == nil {
			return false
		}
		_, m := splitYAMLError(err)
		return m == msg
	}
	lo, hi := 0, len(ends)-1
	if !fails(hi) {
		return 0, 0, false
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if fails(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	start := 0
	if lo > 0 {
		start = ends[lo-1]
	}
	text := data[start:ends[lo]]
	indent := len(text) - len(bytes.TrimLeft(text, " "))
	if indent == len(bytes.TrimRight(text, "\r\n")) {
		indent = 0 // a blank line: point at its start
	}
	return lo + 1, 1 + utf8.RuneCount(text[:indent]), true
}

// badByte is the position of the first character YAML does not allow
// (invalid UTF-8 or a control character); ok is false when there is none,
// as in a UTF-16 file.
func badByte(data []byte) (line, col int, ok bool) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		allowed := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
			(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD && r != utf8.RuneError) || (r >= 0x10000 && r <= 0x10FFFF) ||
			(r == utf8.RuneError && size > 1)
		if !allowed {
			return line, col, true
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return 0, 0, false
}

// unknownAnchor reads the anchor name out of yaml.v3's "unknown anchor 'x'
// referenced".
func unknownAnchor(msg string) (string, bool) {
	rest, ok := strings.CutPrefix(msg, "unknown anchor '")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(rest, "' referenced")
}

// positionOf is the line and column of the first occurrence of s in data,
// or 1:1.
func positionOf(data []byte, s string) (line, col int) {
	i := bytes.Index(data, []byte(s))
	if i < 0 {
		return 1, 1
	}
	before := data[:i]
	line = 1 + bytes.Count(before, []byte("\n"))
	return line, 1 + utf8.RuneCount(before[bytes.LastIndexByte(before, '\n')+1:])
}

type parser struct {
	path   string
	lookup func(string) (string, bool)
	// expanded maps each value that took text from the environment to
	// the scalar it came from, so that messages show "${DB_URL}" and
	// never a secret the variable held.
	expanded map[string]string
}

func (p *parser) errorf(n *yaml.Node, format string, args ...any) error {
	return &Error{File: p.path, Line: n.Line, Col: n.Column, Msg: fmt.Sprintf(format, args...)}
}

// fields walks a mapping, rejecting keys not in known. Each known key's value
// goes to its handler; missing required keys are reported at the mapping.
func (p *parser) fields(n *yaml.Node, what string, handlers map[string]func(*yaml.Node) error) (map[string]bool, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errorf(n, "%s: expected a mapping, got %s", what, kindName(n))
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		if !ok {
			return nil, p.errorf(k, "unknown key %q in %s; expected one of %s", k.Value, what, keyList(handlers))
		}
		if seen[k.Value] {
			return nil, p.errorf(k, "duplicate key %q in %s", k.Value, what)
		}
		seen[k.Value] = true
		if err := h(v); err != nil {
			return nil, err
		}
	}
	return seen, nil
}

func (p *parser) file(n *yaml.Node, f *File) error {
	var nodes []*yaml.Node // each service's mapping, for positions
	seen, err := p.fields(n, "the config", map[string]func(*yaml.Node) error{
		"version": func(v *yaml.Node) error {
			s, err := p.str(v, "version")
			if err != nil {
				return err
			}
			if s != "1" {
				return p.errorf(v, "version: unsupported config version %s; expected 1", p.show(s))
			}
			return nil
		},
		"region":         p.shapedInto(&f.Region, "region", regionShape, "an AWS region, e.g. us-east-1"),
		"account_id":     p.accountID(&f.AccountID),
		"secrets":        p.strListInto(&f.Secrets, "secrets", nil, ""),
		"ssm_parameters": p.strListInto(&f.SSMParameters, "ssm_parameters", parameterShape, "an SSM parameter name (letters, digits and _ . - /) or ARN"),
		"iam_actions":    p.strListInto(&f.IAMActions, "iam_actions", nil, ""),
		"notify": func(v *yaml.Node) (err error) {
			f.Notify, err = p.notify(v)
			return err
		},
		"lock": func(v *yaml.Node) (err error) {
			f.Lock, err = p.lock(v)
			return err
		},
		"pin_digest": p.boolInto(&f.PinDigest, "pin_digest"),
		"services": func(v *yaml.Node) error {
			if v.Kind != yaml.SequenceNode {
				return p.errorf(v, "services: expected a list of services, got %s", kindName(v))
			}
			for _, item := range v.Content {
				s, err := p.service(item)
				if err != nil {
					return err
				}
				f.Services = append(f.Services, s)
				nodes = append(nodes, item)
			}
			return nil
		},
	})
	if err != nil {
		return err
	}
	if !seen["services"] || len(f.Services) == 0 {
		return p.errorf(n, "services: at least one service is required")
	}
	if !seen["secrets"] {
		f.Secrets = []string{DefaultSecretsPath}
	}
	// After the walk: the top-level `lock:` may come after `services:`.
	for i := range f.Services {
		if !f.Services[i].lockSet {
			f.Services[i].Lock = f.Lock
		}
		if !f.Services[i].pinSet {
			f.Services[i].PinDigest = f.PinDigest
		}
	}
	names := map[string]int{}
	targets := map[[2]string]int{}
	for i, s := range f.Services {
		if prev, dup := names[s.Name]; dup {
			return p.errorf(nodes[i], "service name %s is used twice (first on line %d); give one a distinct `name:`", p.show(s.Name), f.Services[prev].Line)
		}
		names[s.Name] = i
		// Two entries for one ECS service would deploy it twice in one run,
		// the second racing the first.
		target := [2]string{ecsName(s.Cluster), ecsName(s.Service)}
		if prev, dup := targets[target]; dup {
			first := f.Services[prev]
			return p.errorf(nodes[i], "service %s deploys the same ECS service as %s on line %d (cluster %s, service %s); list each ECS service once",
				p.show(s.Name), p.show(first.Name), first.Line, p.show(s.Cluster), p.show(s.Service))
		}
		targets[target] = i
	}
	return nil
}

// ecsName is the name in a cluster or service ARN (the part after the
// last "/"), or s itself when it is a name, so that a name and an ARN of
// one service compare equal.
func ecsName(s string) string {
	if !strings.HasPrefix(s, "arn:") {
		return s
	}
	return s[strings.LastIndexByte(s, '/')+1:]
}

func (p *parser) service(n *yaml.Node) (Service, error) {
	s := Service{Line: n.Line, WaitTimeout: DefaultWaitTimeout}
	seen, err := p.fields(n, "a service", map[string]func(*yaml.Node) error{
		"name":         p.strInto(&s.Name, "name"),
		"cluster":      p.shapedInto(&s.Cluster, "cluster", clusterShape, "an ECS cluster name (up to 255 letters, digits, - and _) or cluster ARN"),
		"service":      p.shapedInto(&s.Service, "service", serviceShape, "an ECS service name (up to 255 letters, digits, - and _) or service ARN"),
		"container":    p.shapedInto(&s.Container, "container", containerShape, "a container name (up to 255 letters, digits, - and _)"),
		"wait_timeout": p.durationInto(&s.WaitTimeout, "wait_timeout"),
		"task_definition": func(v *yaml.Node) error {
			if err := p.strInto(&s.TaskDefinition, "task_definition")(v); err != nil {
				return err
			}
			if s.TaskDefinition != "" && !filepath.IsAbs(s.TaskDefinition) {
				s.TaskDefinition = filepath.Join(filepath.Dir(p.path), s.TaskDefinition)
			}
			return nil
		},
		"health": func(v *yaml.Node) error {
			h, err := p.health(v)
			s.Health = h
			return err
		},
		"release": func(v *yaml.Node) (err error) {
			s.Release, err = p.tasks(v, "release")
			return err
		},
		"post_deploy": func(v *yaml.Node) (err error) {
			s.PostDeploy, err = p.tasks(v, "post_deploy")
			return err
		},
		"lock": func(v *yaml.Node) (err error) {
			s.Lock, err = p.lock(v)
			s.lockSet = true
			return err
		},
		"scheduled": func(v *yaml.Node) (err error) {
			s.Scheduled, err = p.scheduled(v)
			return err
		},
		"pin_digest": func(v *yaml.Node) error {
			s.pinSet = true
			return p.boolInto(&s.PinDigest, "pin_digest")(v)
		},
	})
	if err != nil {
		return s, err
	}
	for _, req := range []string{"cluster", "service"} {
		if !seen[req] {
			return s, p.errorf(n, "a service: missing required key %q", req)
		}
	}
	if s.Name == "" {
		s.Name = s.Service
	}
	return s, nil
}

func (p *parser) health(n *yaml.Node) (*Health, error) {
	h := &Health{Timeout: DefaultHealthTimeout}
	seen, err := p.fields(n, "health", map[string]func(*yaml.Node) error{
		"base_url":         p.baseURLInto(&h.BaseURL, "base_url", "https://api.example.com"),
		"test_base_url":    p.baseURLInto(&h.TestBaseURL, "test_base_url", "https://api.example.com:8443 (the test listener)"),
		"timeout":          p.durationInto(&h.Timeout, "timeout"),
		"follow_redirects": p.redirectsInto(&h.FollowRedirects),
		"healthy_after": func(v *yaml.Node) error {
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				return p.errorf(v, "healthy_after: expected a whole number, e.g. 3, got %s", kindName(v))
			}
			s, err := p.str(v, "healthy_after")
			if err != nil {
				return err
			}
			n, perr := strconv.Atoi(s)
			if perr != nil || n < 1 || n > MaxHealthyAfter {
				return p.errorf(v, "healthy_after: %q is not a whole number from 1 to %d; expected the passing attempts in a row each endpoint needs, e.g. 3", s, MaxHealthyAfter)
			}
			h.HealthyAfter = n
			return nil
		},
		"endpoints": func(v *yaml.Node) error {
			if v.Kind != yaml.SequenceNode {
				return p.errorf(v, "endpoints: expected a list of paths, got %s", kindName(v))
			}
			for _, item := range v.Content {
				e, err := p.endpoint(item)
				if err != nil {
					return err
				}
				h.Endpoints = append(h.Endpoints, e)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if !seen["base_url"] {
		return nil, p.errorf(n, "health: missing required key \"base_url\"")
	}
	if len(h.Endpoints) == 0 {
		return nil, p.errorf(n, "health: at least one endpoint is required, e.g. endpoints: [/healthz]")
	}
	return h, nil
}

// baseURLInto reads an absolute http(s) URL into dst, without a trailing
// slash, for the health base URLs.
func (p *parser) baseURLInto(dst *string, key, example string) func(*yaml.Node) error {
	return func(v *yaml.Node) error {
		s, err := p.str(v, key)
		if err != nil {
			return err
		}
		u, perr := url.Parse(s)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return p.errorf(v, "%s: %s is not an absolute http(s) URL; expected e.g. %s", key, p.show(s), example)
		}
		*dst = strings.TrimRight(s, "/")
		return nil
	}
}

func (p *parser) endpoint(n *yaml.Node) (Endpoint, error) {
	var e Endpoint
	if n.Kind == yaml.ScalarNode {
		s, err := p.str(n, "endpoint")
		if err != nil {
			return e, err
		}
		e.Path = s
		return e, p.checkPath(n, s)
	}
	seen, err := p.fields(n, "an endpoint", map[string]func(*yaml.Node) error{
		"path":             p.strInto(&e.Path, "path"),
		"expect_body":      p.strInto(&e.ExpectBody, "expect_body"),
		"follow_redirects": p.redirectsInto(&e.FollowRedirects),
		"expect_status": func(v *yaml.Node) error {
			if v.Kind != yaml.SequenceNode {
				return p.errorf(v, "expect_status: expected a list of HTTP status codes, e.g. [200], got %s", kindName(v))
			}
			for _, c := range v.Content {
				code, err := strconv.Atoi(c.Value)
				if c.Kind != yaml.ScalarNode || err != nil || code < 100 || code > 599 {
					return p.errorf(c, "expect_status: %q is not an HTTP status code (100-599)", c.Value)
				}
				e.ExpectStatus = append(e.ExpectStatus, code)
			}
			return nil
		},
	})
	if err != nil {
		return e, err
	}
	if !seen["path"] {
		return e, p.errorf(n, "an endpoint: missing required key \"path\"")
	}
	return e, p.checkPath(n, e.Path)
}

func (p *parser) checkPath(n *yaml.Node, path string) error {
	if !strings.HasPrefix(path, "/") {
		return p.errorf(n, "endpoint %s: expected a path starting with /, e.g. /healthz", p.show(path))
	}
	return nil
}

// str reads a scalar as a string and expands ${VAR} in it. It refuses
// control and bidirectional-control characters, whether written as YAML
// escapes or brought in by a variable: a NUL cuts a name short in C-based
// tools, and U+202E makes a name display as something it is not.
func (p *parser) str(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errorf(n, "%s: expected a string, got %s", key, kindName(n))
	}
	v, err := expand(n.Value, p.lookup)
	if err != nil {
		return "", p.errorf(n, "%s: %v", key, err)
	}
	if v != n.Value && strings.Contains(strings.ReplaceAll(n.Value, "$$", ""), "${") {
		p.expanded[v] = n.Value
	}
	if i, r, bad := hiddenChar(v); bad {
		from := ""
		if raw, ok := p.expanded[v]; ok {
			from = fmt.Sprintf(" (after expanding %q)", raw)
		}
		return "", p.errorf(n, "%s: character %d%s is %U, %s; config values must be plain text", key, i, from, r, charClass(r))
	}
	return v, nil
}

// show is how a message quotes value s: as written when it came from the
// file, and as the scalar that named the variables when it came from the
// environment, whose values may be secrets and do not belong in CI logs.
func (p *parser) show(s string) string {
	if raw, ok := p.expanded[s]; ok {
		return fmt.Sprintf("%q (value from the environment not shown)", raw)
	}
	return quote(s)
}

// hiddenChar finds the first character that does not display as itself:
// C0 and C1 controls, DEL, and the bidirectional controls (U+061C,
// U+200E-U+200F, U+202A-U+202E, U+2066-U+2069). i counts characters from 1.
func hiddenChar(s string) (i int, r rune, bad bool) {
	for _, r := range s {
		i++
		if r < 0x20 || (r >= 0x7F && r <= 0x9F) || isBidi(r) {
			return i, r, true
		}
	}
	return 0, 0, false
}

func isBidi(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

func charClass(r rune) string {
	if isBidi(r) {
		return "a bidirectional control character, which makes text display in another order than it reads"
	}
	return "a control character"
}

// Shapes of the names AWS accepts. Checking them here turns a region like
// "us east 1; rm -rf /" into a config error at its line, instead of an
// AWS error (or worse, a shell's) later. Each is compiled on first use
// (lazyre): a bounded repeat such as {1,255} compiles to a large program,
// which a command that reads no config (`omdeploy version`) should not pay
// for at start-up.
var (
	regionShape    = lazyre.New(`^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$`)
	clusterShape   = lazyre.New(`^(` + ecsNameShape + `|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/` + ecsNameShape + `)$`)
	serviceShape   = lazyre.New(`^(` + ecsNameShape + `|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service/(` + ecsNameShape + `/)?` + ecsNameShape + `)$`)
	containerShape = lazyre.New(`^` + ecsNameShape + `$`)
	// SSM parameter names and ARNs; preflight also takes Secrets Manager
	// ARNs here, as a task definition's secrets do.
	parameterShape = lazyre.New(`^([A-Za-z0-9_./-]+|arn:aws[a-z-]*:(ssm|secretsmanager):[a-z0-9-]*:\d{12}:[A-Za-z0-9_./:+=@-]+)$`)
)

// ecsNameShape is what ECS allows in cluster, service and container names.
const ecsNameShape = `[A-Za-z0-9_-]{1,255}`

// shapedInto is strInto for a value that must match shape; expect says
// what was expected in the message.
func (p *parser) shapedInto(dst *string, key string, shape func() *regexp.Regexp, expect string) func(*yaml.Node) error {
	into := p.strInto(dst, key)
	return func(n *yaml.Node) error {
		if err := into(n); err != nil {
			return err
		}
		if !shape().MatchString(*dst) {
			return p.errorf(n, "%s: %s is not %s", key, p.show(*dst), expect)
		}
		return nil
	}
}

func (p *parser) strInto(dst *string, key string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		s, err := p.str(n, key)
		if err != nil {
			return err
		}
		if strings.TrimSpace(s) == "" {
			return p.errorf(n, "%s: must not be empty", key)
		}
		*dst = s
		return nil
	}
}

// strListInto reads a list of strings; with a shape, each must match it.
func (p *parser) strListInto(dst *[]string, key string, shape func() *regexp.Regexp, expect string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind != yaml.SequenceNode {
			return p.errorf(n, "%s: expected a list of strings, got %s", key, kindName(n))
		}
		out := []string{}
		for _, item := range n.Content {
			s, err := p.str(item, key)
			if err != nil {
				return err
			}
			if shape != nil && !shape().MatchString(s) {
				return p.errorf(item, "%s: %s is not %s", key, p.show(s), expect)
			}
			out = append(out, s)
		}
		*dst = out
		return nil
	}
}

// boolInto reads true or false, nothing else: "yes" or "1" are
// errors, not guesses.
func (p *parser) boolInto(dst *bool, key string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			return p.errorf(n, "%s: expected true or false, got %s", key, kindName(n))
		}
		*dst = n.Value == "true"
		return nil
	}
}

func (p *parser) durationInto(dst *time.Duration, key string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		s, err := p.str(n, key)
		if err != nil {
			return err
		}
		d, perr := time.ParseDuration(s)
		if perr != nil || d <= 0 {
			return p.errorf(n, "%s: %s is not a positive duration; expected e.g. 90s, 15m or 1h", key, p.show(s))
		}
		*dst = d
		return nil
	}
}

func (p *parser) redirectsInto(dst *RedirectPolicy) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		s, err := p.str(n, "follow_redirects")
		if err != nil {
			return err
		}
		if !slices.Contains(RedirectPolicies, RedirectPolicy(s)) {
			return p.errorf(n, "follow_redirects: %q is not a redirect policy; expected same-host (the default), any or none", s)
		}
		*dst = RedirectPolicy(s)
		return nil
	}
}

func (p *parser) accountID(dst *string) func(*yaml.Node) error {
	return func(n *yaml.Node) error {
		s, err := p.str(n, "account_id")
		if err != nil {
			return err
		}
		if len(s) != 12 || strings.Trim(s, "0123456789") != "" {
			return p.errorf(n, "account_id: %s is not a 12-digit AWS account ID; quote it to keep leading zeros, e.g. \"012345678901\"", p.show(s))
		}
		*dst = s
		return nil
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	if n.Tag == "!!null" {
		return "nothing (null)"
	}
	return fmt.Sprintf("%q", n.Value)
}

func keyList(m map[string]func(*yaml.Node) error) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return strings.Join(keys, ", ")
}
