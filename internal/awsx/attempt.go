package awsx

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Defaults of Timeouts. A read that takes ten seconds is stuck, not slow;
// a write gets longer because giving up on one leaves its outcome to be
// read back.
const (
	DefaultReadTimeout  = 10 * time.Second
	DefaultWriteTimeout = 30 * time.Second
)

// Timeouts bound each attempt of an AWS call, so that a call that never
// answers cannot hang a run: the SDK's retries each get the full deadline,
// and the caller's context still bounds the whole call. Zero fields take
// the defaults.
type Timeouts struct {
	Read  time.Duration // Describe*, List*, Get* and other calls that change nothing
	Write time.Duration // every other call
}

func (t Timeouts) withDefaults() Timeouts {
	if t.Read <= 0 {
		t.Read = DefaultReadTimeout
	}
	if t.Write <= 0 {
		t.Write = DefaultWriteTimeout
	}
	return t
}

// readPrefixes start the names of the calls that change nothing; the
// API's own naming convention, which every service omdeploy calls follows.
var readPrefixes = []string{"Describe", "List", "Get", "BatchGet", "Simulate", "Filter", "Lookup"}

// IsWrite reports whether operation (an SDK operation name such as
// "UpdateService") may change something in AWS.
func IsWrite(operation string) bool {
	for _, p := range readPrefixes {
		if strings.HasPrefix(operation, p) {
			return false
		}
	}
	return true
}

// AttemptTimeoutError is one attempt of an AWS call that outlived its
// Timeouts deadline while the caller's context was still live. It is not
// a context error on purpose: the caller did not give up, the call hung.
type AttemptTimeoutError struct {
	Operation string
	After     time.Duration
}

// Error names the call and the deadline it missed.
func (e *AttemptTimeoutError) Error() string {
	return fmt.Sprintf("%s got no answer within %s", e.Operation, e.After)
}

// Timeout marks the error as a timeout for the SDK and net conventions.
func (e *AttemptTimeoutError) Timeout() bool { return true }

// RetryableError lets the SDK try a hung read again; a hung write is never
// re-sent blindly (see noResend).
func (e *AttemptTimeoutError) RetryableError() bool { return !IsWrite(e.Operation) }

// noResend keeps the SDK from re-sending a write whose first attempt may
// have reached AWS: re-sending RegisterTaskDefinition registers a second
// revision, re-sending UpdateService with force-new-deployment starts a
// second deployment. The caller reads back instead (see Ambiguous).
type noResend struct{ err error }

func (e *noResend) Error() string        { return e.err.Error() }
func (e *noResend) Unwrap() error        { return e.err }
func (e *noResend) RetryableError() bool { return false }

// attemptMiddleware sits in the Finalize step right after the SDK's retry
// middleware, so it runs once per attempt: it gives the attempt its
// deadline and decides whether a failed write attempt may be re-sent.
type attemptMiddleware struct {
	t            Timeouts
	resendWrites bool // Options.ResendWrites
}

func (attemptMiddleware) ID() string { return "omdeploy.AttemptTimeout" }

func (m attemptMiddleware) HandleFinalize(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
	op := middleware.GetOperationName(ctx)
	write := IsWrite(op)
	d := m.t.Read
	if write {
		d = m.t.Write
	}
	actx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	out, md, err := next.HandleFinalize(actx, in)
	if err == nil {
		return out, md, nil
	}
	if ctx.Err() == nil && errors.Is(actx.Err(), context.DeadlineExceeded) {
		err = &AttemptTimeoutError{Operation: op, After: d}
	}
	if write && !m.resendWrites && !resendable(err) {
		err = &noResend{err}
	}
	return out, md, err
}

// addAttemptMiddleware installs attemptMiddleware after "Retry", or last in
// Finalize for a stack without retries.
func addAttemptMiddleware(t Timeouts, resendWrites bool) func(*middleware.Stack) error {
	m := attemptMiddleware{t: t.withDefaults(), resendWrites: resendWrites}
	return func(s *middleware.Stack) error {
		if _, ok := s.Finalize.Get("Retry"); ok {
			return s.Finalize.Insert(m, "Retry", middleware.After)
		}
		return s.Finalize.Add(m, middleware.After)
	}
}

// resendable reports whether a failed write attempt certainly did not
// reach AWS, or AWS certainly did not act on it: throttled, or the
// connection was never made.
func resendable(err error) bool {
	if Classify(err) == KindThrottled {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// Ambiguous reports whether a write that failed with err may have been
// applied all the same, so its outcome must be read back before anyone
// decides: the request may have been sent and the answer lost (a dropped
// connection, an attempt or caller timeout, a cancelled context, an answer
// that could not be read) or AWS failed on its side (5xx). An AWS error
// answer of 4xx (ClientException, InvalidParameterException, AccessDenied,
// throttling once retries ran out) is a definite rejection, and so is a
// connection that was never made.
func Ambiguous(err error) bool {
	if err == nil {
		return false
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		var re *smithyhttp.ResponseError
		if errors.As(err, &re) {
			return re.HTTPStatusCode() >= 500
		}
		return apiErr.ErrorFault() == smithy.FaultServer
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return true
}
