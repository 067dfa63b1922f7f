package config

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Load reads and validates the config at path. lookup resolves ${VAR}
// (os.LookupEnv in production). Every problem is an *Error with a position.
func Load(path string, lookup func(string) (string, bool)) (*File, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &Error{File: path, Msg: "config file not found; pass --config FILE, set OMDEPLOY_CONFIG, or create one with `omdeploy init`"}
		}
		return nil, &Error{File: path, Msg: fmt.Sprintf("read config: %v", err)}
	}
	return Parse(path, data, lookup)
}

// Parse is Load on bytes already read; path is used only in messages.
func Parse(path string, data []byte, lookup func(string) (string, bool)) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, syntaxError(path, data, err)
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, &Error{File: path, Line: 1, Col: 1, Msg: "config is empty; expected a mapping with at least `services:`"}
	}
	p := &parser{path: path, lookup: lookup}
	f := &File{Path: path}
	if err := p.file(doc.Content[0], f); err != nil {
		return nil, err
	}
	return f, nil
}

// syntaxError turns yaml.v3's "yaml: line N: msg" into a positioned Error.
// yaml.v3 leaves the line out in three cases, which get one here: a
// problem on the first line (its marks count from 0, and 0 reads as
// unset), a byte its reader refuses (reported before any mark), and an
// alias to an unknown anchor.
func syntaxError(path string, data []byte, err error) error {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line, col := 0, 1
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if n, after, ok := strings.Cut(rest, ":"); ok {
			if l, convErr := strconv.Atoi(n); convErr == nil {
				line, msg = l, strings.TrimSpace(after)
			}
		}
	}
	if line == 0 {
		line = 1
		if strings.Contains(msg, "UTF-8") || strings.Contains(msg, "Unicode") || strings.Contains(msg, "control characters") {
			line, col = badByte(data)
		} else if name, ok := unknownAnchor(msg); ok {
			line, col = positionOf(data, "*"+name)
		}
	}
	return &Error{File: path, Line: line, Col: col, Msg: "invalid YAML: " + msg}
}

// badByte is the position of the first character YAML does not allow
// (invalid UTF-8 or a control character), or 1:1 when there is none, as in
// a UTF-16 file.
func badByte(data []byte) (line, col int) {
	line, col = 1, 1
	for len(data) > 0 {
		r, size := utf8.DecodeRune(data)
		allowed := r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r <= 0x7E) || r == 0x85 ||
			(r >= 0xA0 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD && r != utf8.RuneError) || (r >= 0x10000 && r <= 0x10FFFF) ||
			(r == utf8.RuneError && size > 1)
		if !allowed {
			return line, col
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		data = data[size:]
	}
	return 1, 1
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
	seen, err := p.fields(n, "the config", map[string]func(*yaml.Node) error{
		"version": func(v *yaml.Node) error {
			s, err := p.str(v, "version")
			if err != nil {
				return err
			}
			if s != "1" {
				return p.errorf(v, "version: unsupported config version %q; expected 1", s)
			}
			return nil
		},
		"region":         p.strInto(&f.Region, "region"),
		"account_id":     p.accountID(&f.AccountID),
		"secrets":        p.strListInto(&f.Secrets, "secrets"),
		"ssm_parameters": p.strListInto(&f.SSMParameters, "ssm_parameters"),
		"iam_actions":    p.strListInto(&f.IAMActions, "iam_actions"),
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
	names := map[string]int{}
	for _, s := range f.Services {
		if prev, dup := names[s.Name]; dup {
			return &Error{File: p.path, Line: s.Line, Col: 1, Msg: fmt.Sprintf("service name %q is used twice (first on line %d); give one a distinct `name:`", s.Name, prev)}
		}
		names[s.Name] = s.Line
	}
	return nil
}

func (p *parser) service(n *yaml.Node) (Service, error) {
	s := Service{Line: n.Line, WaitTimeout: DefaultWaitTimeout}
	seen, err := p.fields(n, "a service", map[string]func(*yaml.Node) error{
		"name":         p.strInto(&s.Name, "name"),
		"cluster":      p.strInto(&s.Cluster, "cluster"),
		"service":      p.strInto(&s.Service, "service"),
		"container":    p.strInto(&s.Container, "container"),
		"wait_timeout": p.durationInto(&s.WaitTimeout, "wait_timeout"),
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
		"base_url": func(v *yaml.Node) error {
			s, err := p.str(v, "base_url")
			if err != nil {
				return err
			}
			u, perr := url.Parse(s)
			if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return p.errorf(v, "base_url: %q is not an absolute http(s) URL; expected e.g. https://api.example.com", s)
			}
			h.BaseURL = strings.TrimRight(s, "/")
			return nil
		},
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
		return p.errorf(n, "endpoint %q: expected a path starting with /, e.g. /healthz", path)
	}
	return nil
}

// str reads a scalar as a string and expands ${VAR} in it.
func (p *parser) str(n *yaml.Node, key string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errorf(n, "%s: expected a string, got %s", key, kindName(n))
	}
	v, err := expand(n.Value, p.lookup)
	if err != nil {
		return "", p.errorf(n, "%s: %v", key, err)
	}
	return v, nil
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

func (p *parser) strListInto(dst *[]string, key string) func(*yaml.Node) error {
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
			out = append(out, s)
		}
		*dst = out
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
			return p.errorf(n, "%s: %q is not a positive duration; expected e.g. 90s, 15m or 1h", key, s)
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
			return p.errorf(n, "account_id: %q is not a 12-digit AWS account ID; quote it to keep leading zeros, e.g. \"012345678901\"", s)
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
