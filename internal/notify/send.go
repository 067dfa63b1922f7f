package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/omdeploy/omdeploy/config"
)

// sender posts payloads with bounded retries.
type sender struct {
	client  *retryablehttp.Client
	timeout time.Duration
}

// attemptsError is a send that used up its attempts.
type attemptsError struct {
	tries  int
	status int   // the last answer's HTTP status; 0: none
	err    error // the last transport error; nil when an answer came
}

func (e *attemptsError) Error() string {
	what := fmt.Sprintf("HTTP %d", e.status)
	if e.err != nil {
		what = e.err.Error()
	}
	return fmt.Sprintf("%s after %d attempt(s)", what, e.tries)
}

func (e *attemptsError) Unwrap() error { return errSendFailed }

func newSender(o Options) *sender {
	hc := o.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: o.AttemptTimeout}
	}
	return &sender{
		timeout: o.SendTimeout,
		client: &retryablehttp.Client{
			HTTPClient:   hc,
			Logger:       nil, // the library logs the URL, which is the secret
			RetryWaitMin: o.RetryWaitMin,
			RetryWaitMax: o.RetryWaitMax,
			RetryMax:     o.Retries,
			CheckRetry:   retryablehttp.DefaultRetryPolicy, // 429, 5xx and transport errors
			Backoff:      retryablehttp.DefaultBackoff,
			ErrorHandler: func(resp *http.Response, err error, tries int) (*http.Response, error) {
				ae := &attemptsError{tries: tries, err: transportCause(err)}
				if resp != nil {
					ae.status = resp.StatusCode
					drain(resp)
				}
				return nil, ae
			},
		},
	}
}

// transportCause is err without the *url.Error wrapper, which quotes the
// URL.
func transportCause(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}

// send posts p to t, in Slack's shape or as the payload itself. The error
// never holds the URL.
func (s *sender) send(ctx context.Context, t config.NotifyTarget, p Payload) error {
	var body any = p
	if t.Kind == config.NotifySlack {
		body = slackMessage(p)
	}
	data, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("encode payload: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodPost, t.URL, bytes.NewReader(data))
	if err != nil {
		return errors.New(scrub(err.Error(), t.URL))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "omdeploy")
	resp, err := s.client.Do(req)
	if err != nil {
		return errors.New(scrub(transportCause(err).Error(), t.URL))
	}
	defer drain(resp)
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// Not retried: a 4xx will not change on the next attempt (a
		// revoked or mistyped webhook).
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
