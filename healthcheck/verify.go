package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/runbook"
)

// Verify is `omdeploy health`: it checks the services concurrently and
// returns their results by service name. A service without health
// endpoints is skipped with a warning, not failed. baseURLOverride, when
// set, replaces every service's base_url (previews, staging). The error
// joins the services' *failure.Error values.
func Verify(ctx context.Context, c *Checker, services []config.Service, baseURLOverride string) (map[string][]Result, error) {
	if baseURLOverride != "" {
		u, err := url.Parse(baseURLOverride)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, failure.New(failure.StageConfig, "", "",
				fmt.Errorf("--base-url %q is not an absolute http(s) URL; expected e.g. https://staging.example.com", newRedactor(baseURLOverride).scrub(baseURLOverride)))
		}
	}

	var (
		mu  sync.Mutex
		wg  sync.WaitGroup
		out = make(map[string][]Result, len(services))
	)
	errs := make([]error, len(services))
	for i, s := range services {
		if s.Health == nil {
			c.rep.Report(event.Warning{
				Service: s.Name,
				Message: "no health endpoints declared in the config; health verification skipped " +
					"(declare the service's canonical endpoints under health:, see runbook " + runbook.HealthEndpointList + ")",
			})
			continue
		}
		h := *s.Health
		if baseURLOverride != "" {
			h.BaseURL = strings.TrimRight(baseURLOverride, "/")
		}
		wg.Go(func() {
			res, err := c.Check(ctx, s.Name, h)
			mu.Lock()
			out[s.Name] = res
			mu.Unlock()
			errs[i] = err
		})
	}
	wg.Wait()
	return out, errors.Join(errs...)
}
