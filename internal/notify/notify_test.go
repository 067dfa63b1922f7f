package notify

import (
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/actor"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
)

const secretPath = "/services/T000/B000/s3cr3tWebhookPath"

// hook is an httptest webhook on 127.0.0.1 that records each body and
// answers with status(n), n counting requests from 1.
type hook struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies []map[string]any
}

func newHook(t *testing.T, status func(n int) int) *hook {
	t.Helper()
	h := &hook{}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != secretPath || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "wrong request", http.StatusBadRequest)
			return
		}
		data, _ := io.ReadAll(r.Body)
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.bodies = append(h.bodies, m)
		n := len(h.bodies)
		h.mu.Unlock()
		w.WriteHeader(status(n))
	})}}
	h.srv.Start()
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) url() string { return h.srv.URL + secretPath }

func (h *hook) received() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any(nil), h.bodies...)
}

func ok(int) int { return http.StatusOK }

var run = Run{
	Actor:   actor.Actor{Who: "octocat", RunID: "42", RunURL: "https://github.com/acme/app/actions/runs/42"},
	Account: "123456789012", Region: "eu-west-1", Tag: "v2",
	Services: []config.Service{{Name: "web", Cluster: "prod", Service: "web-svc"}},
}

// drive plays one run through n: start, plan, register, rollback, the
// service's end and the run's end with err.
func drive(t *testing.T, n *Notifier, err error) {
	t.Helper()
	n.Start(t.Context())
	n.Report(event.Planned{Service: "web", OldImage: "app:v1", NewImage: "app:v2", CurrentTaskDef: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:7"})
	n.Report(event.TaskDefinitionRegistered{Service: "web", ARN: "arn:aws:ecs:eu-west-1:123456789012:task-definition/web:8"})
	n.Report(event.RollbackStarted{Service: "web", From: "web:8", To: "web:7"})
	n.Report(event.ServiceFinished{Service: "web", OK: err == nil, Stage: failure.StageRollout})
	n.Finish(err)
}

func TestWebhookPayloads(t *testing.T) {
	h := newHook(t, ok)
	rec := &event.Recorder{}
	n := New(Options{Targets: []config.NotifyTarget{{Kind: config.NotifyWebhook, URL: h.url(), On: config.NotifyEvents}}, Run: run, Reporter: rec})
	drive(t, n, failure.New(failure.StageRollout, "web", "", errors.New("deployment failed")))

	got := h.received()
	if len(got) != 3 {
		t.Fatalf("received %d payloads, want start, rollback, failure: %v", len(got), got)
	}
	tests := []struct {
		name  string
		body  map[string]any
		event string
		check func(t *testing.T, p Payload)
	}{
		{"start", got[0], "start", func(t *testing.T, p Payload) {
			if p.Status != "started" || p.ExitCode != nil || p.Services[0].Image != nil {
				t.Errorf("start = %+v", p)
			}
		}},
		{"rollback", got[1], "rollback", func(t *testing.T, p Payload) {
			if p.Service != "web" || p.Rollback == nil || p.Rollback.Old != "web:8" || p.Rollback.New != "web:7" || p.Status != "rolling_back" {
				t.Errorf("rollback = %+v", p)
			}
		}},
		{"failure", got[2], "failure", func(t *testing.T, p Payload) {
			s := p.Services[0]
			if p.ExitCode == nil || *p.ExitCode != failure.ExitRollout || p.Stage != "rollout" || p.Status != "failed" || !strings.Contains(p.Error, "deployment failed") {
				t.Errorf("failure end = %+v", p)
			}
			if s.Status != "failed" || s.TaskDefinition == nil || !strings.HasSuffix(s.TaskDefinition.Old, "web:7") || !strings.HasSuffix(s.TaskDefinition.New, "web:8") {
				t.Errorf("service = %+v", s)
			}
			if p.Diff != "web: image app:v1 → app:v2" {
				t.Errorf("diff = %q", p.Diff)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := json.Marshal(tt.body)
			var p Payload
			if err := json.Unmarshal(data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Event != tt.event || p.Who != "octocat" || p.Run.ID != "42" || p.CIURL != run.Actor.RunURL ||
				p.Where.Region != "eu-west-1" || p.Where.Cluster != "prod" || p.Where.Account != "123456789012" || p.What.Tag != "v2" {
				t.Errorf("common fields = %+v", p)
			}
			tt.check(t, p)
		})
	}
	if w := event.Of[event.Warning](rec.Events()); len(w) != 0 {
		t.Fatalf("warnings on a working webhook: %v", w)
	}
}

func TestSlackAndOn(t *testing.T) {
	slack := newHook(t, ok)
	onlyEnd := newHook(t, ok)
	n := New(Options{Run: run, Targets: []config.NotifyTarget{
		{Kind: config.NotifySlack, URL: slack.url(), On: config.NotifyEvents},
		{Kind: config.NotifyWebhook, URL: onlyEnd.url(), On: []string{config.NotifySuccess}},
	}})
	drive(t, n, nil)
	msgs := slack.received()
	if len(msgs) != 3 {
		t.Fatalf("slack got %d messages, want 3", len(msgs))
	}
	for _, m := range msgs {
		text, _ := m["text"].(string)
		blocks, _ := m["blocks"].([]any)
		if !strings.Contains(text, "omdeploy: deploy of web") || len(blocks) != 2 {
			t.Errorf("slack message = %v", m)
		}
	}
	if last, _ := msgs[2]["text"].(string); !strings.Contains(last, "succeeded") {
		t.Errorf("last slack text = %q", last)
	}
	if got := onlyEnd.received(); len(got) != 1 || got[0]["event"] != "success" {
		t.Fatalf("on: [success] target got %v", got)
	}
}

func TestFailedSendIsRetriedThenWarned(t *testing.T) {
	tests := []struct {
		name      string
		status    func(int) int
		url       func(h *hook) string
		wantCalls int
		wantMsg   string
	}{
		{name: "500 is retried", status: func(int) int { return 500 }, url: (*hook).url, wantCalls: 3, wantMsg: "HTTP 500 after 3 attempt(s)"},
		{name: "404 is not", status: func(int) int { return 404 }, url: (*hook).url, wantCalls: 1, wantMsg: "HTTP 404"},
		{name: "refused connection", status: ok, url: func(h *hook) string {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				panic(err)
			}
			addr := l.Addr().String()
			l.Close()
			return "http://" + addr + secretPath
		}, wantCalls: 0, wantMsg: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHook(t, tt.status)
			rec := &event.Recorder{}
			u := tt.url(h)
			n := New(Options{Run: run, Reporter: rec, RetryWaitMin: time.Millisecond, RetryWaitMax: 5 * time.Millisecond,
				Targets: []config.NotifyTarget{{Kind: config.NotifySlack, URL: u, On: []string{config.NotifyStart}}}})
			n.Start(t.Context())
			n.Finish(nil)
			if got := len(h.received()); got != tt.wantCalls {
				t.Errorf("webhook called %d times, want %d", got, tt.wantCalls)
			}
			w := event.Of[event.Warning](rec.Events())
			if len(w) != 1 {
				t.Fatalf("warnings = %v, want one", w)
			}
			msg := w[0].Message
			if !strings.HasPrefix(msg, "notification to slack (http://127.0.0.1:") || !strings.Contains(msg, "/…) failed: ") || !strings.Contains(msg, tt.wantMsg) {
				t.Errorf("warning = %q, want the redacted target and %q", msg, tt.wantMsg)
			}
			if strings.Contains(msg, "s3cr3t") || strings.Contains(msg, "T000") {
				t.Errorf("warning shows the secret path: %q", msg)
			}
		})
	}
}

func TestHangingWebhookIsBounded(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(func() { close(release); srv.Close() })
	rec := &event.Recorder{}
	n := New(Options{Run: run, Reporter: rec, AttemptTimeout: 50 * time.Millisecond, SendTimeout: 200 * time.Millisecond, Retries: -1,
		Targets: []config.NotifyTarget{{Kind: config.NotifyWebhook, URL: srv.URL + secretPath, On: config.NotifyEvents}}})
	start := time.Now()
	n.Start(t.Context())
	n.Finish(nil)
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("two sends to a hanging webhook took %s", took)
	}
	if w := event.Of[event.Warning](rec.Events()); len(w) != 2 {
		t.Fatalf("warnings = %v, want one per send", w)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"slack", "https://hooks.slack.com" + secretPath, "https://hooks.slack.com/…"},
		{"query token", "https://example.com/?token=abc", "https://example.com/…"},
		{"user info", "https://user:pw@example.com", "https://example.com"},
		{"not a url", "::", "(webhook URL not shown)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Redact(tt.in); got != tt.want {
				t.Fatalf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestNilNotifierDoesNothing(t *testing.T) {
	n := New(Options{Run: run})
	if n != nil {
		t.Fatal("New without targets is not nil")
	}
	n.Start(t.Context())
	n.Report(event.RollbackStarted{})
	n.Finish(nil)
}
