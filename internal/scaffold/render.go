package scaffold

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/omdeploy/omdeploy/internal/lazyre"
)

// Config is what Render writes.
type Config struct {
	Region    string    // empty: left to the environment, shown commented
	AccountID string    // empty: shown commented
	Services  []Service // empty: a placeholder service to edit
}

// Render writes a commented omdeploy.yaml. The file parses as it is; the
// commented examples are valid too once uncommented.
func Render(c Config) []byte {
	return render(c, false)
}

// render with examples set writes the commented examples as live lines, so
// a test can check that they parse.
func render(c Config, examples bool) []byte {
	w := &writer{examples: examples}
	w.comment("omdeploy.yaml: what `omdeploy deploy` deploys and what `omdeploy preflight` checks first.")
	w.comment("${VAR} and ${VAR:-default} are read from the environment. `omdeploy runbook` explains every failure.")
	w.line("version: 1")
	w.blank()
	w.comment("AWS region of the services. Without it: --region, AWS_REGION, then the profile's region.")
	if c.Region != "" {
		w.line("region: " + str(c.Region))
	} else {
		w.example("region: us-east-1")
	}
	w.blank()
	w.comment("The AWS account a deploy must run in: preflight fails in any other, which catches")
	w.comment("staging credentials pointed at production. Keep the quotes (leading zeros).")
	if c.AccountID != "" {
		w.line("account_id: " + strconv.Quote(c.AccountID))
	} else {
		w.example(`account_id: "123456789012"`)
	}
	w.blank()
	w.comment("Paths that hold secrets and must never be committed: preflight checks that git")
	w.comment("ignores them and tracks nothing under them. Default: [.secrets/]")
	w.example("secrets: [.secrets/]")
	w.blank()
	w.comment("SSM parameters the application reads itself at run time. Parameters referenced by")
	w.comment("the task definition's secrets are checked without being listed here.")
	w.example("ssm_parameters:")
	w.example("  - /myapp/prod/api-key")
	w.blank()
	w.comment("IAM actions the deploying role needs beyond the ECS, logs and SSM ones omdeploy checks.")
	w.example("iam_actions: [s3:GetObject]")
	w.blank()
	w.line("services:")
	if len(c.Services) == 0 {
		w.service(Service{Cluster: "my-cluster", Service: "my-service"}, true)
	}
	for i, s := range c.Services {
		if i > 0 {
			w.blank()
		}
		w.service(s, false)
	}
	return []byte(w.b.String())
}

// service writes one entry; placeholder marks the template's made-up one.
func (w *writer) service(s Service, placeholder bool) {
	w.indent = "  "
	if placeholder {
		w.comment("One entry per ECS service; replace the names below with yours.")
	} else {
		w.comment(fmt.Sprintf("Read from ECS: service %s in cluster %s, running %s.", s.Service, s.Cluster, shortName(s.TaskDefinition)))
	}
	w.line("- name: " + str(s.Service) + "   # the label in output; default: service")
	w.indent = "    "
	w.line("cluster: " + str(s.Cluster))
	w.line("service: " + str(s.Service))
	for _, c := range s.Containers {
		note := fmt.Sprintf("container %s: image %s", c.Name, c.Image)
		if !c.Essential {
			note += ", not essential"
		}
		if c.LogGroup != "" {
			note += ", logs in " + c.LogGroup
			if c.LogRegion != "" {
				note += " (" + c.LogRegion + ")"
			}
		} else {
			note += ", no awslogs group"
		}
		w.comment(note)
	}
	if s.Secrets > 0 {
		w.comment(fmt.Sprintf("its task definition references %d secrets; preflight checks each one exists.", s.Secrets))
	}
	w.comment("The container whose image deploy replaces; needed when there are several.")
	if s.Container != "" {
		w.line("container: " + str(s.Container))
	} else {
		w.example("container: app")
	}
	if len(s.Scheduled) > 0 {
		w.comment("EventBridge rules whose ECS targets run this family: moved to each new revision.")
		quoted := make([]string, len(s.Scheduled))
		for i, r := range s.Scheduled {
			quoted[i] = str(r)
		}
		w.line("scheduled: [" + strings.Join(quoted, ", ") + "]")
	}
	w.comment("How long to follow the deployment before giving up and rolling back.")
	w.example("wait_timeout: 15m")
	w.comment("The service's canonical health endpoints, checked after the rollout: declare exactly")
	w.comment("the routes it serves (a route it lacks fails every deploy with 404).")
	path := s.HealthPath
	if path == "" {
		path = "/healthz"
	} else {
		w.comment("(" + path + " is what the container's own health check requests.)")
	}
	w.example("health:")
	w.example("  base_url: https://" + exampleHost(s.Service) + ".example.com")
	w.example("  endpoints:")
	w.example("    - path: " + str(path))
	w.example("      expect_status: [200]   # default: any 2xx")
	w.example("      expect_body: ok        # default: not checked")
	w.example("  timeout: 2m                # retries 502/503/504 until then")
	w.indent = ""
}

// writer builds the file line by line.
type writer struct {
	b        strings.Builder
	indent   string
	examples bool
}

func (w *writer) line(s string)    { w.b.WriteString(w.indent + s + "\n") }
func (w *writer) comment(s string) { w.b.WriteString(w.indent + "# " + s + "\n") }
func (w *writer) blank()           { w.b.WriteString("\n") }

// example is a commented-out line of config.
func (w *writer) example(s string) {
	if w.examples {
		w.line(s)
		return
	}
	w.b.WriteString(w.indent + "# " + s + "\n")
}

var plainScalar = lazyre.New(`^[A-Za-z/][A-Za-z0-9/._@+-]*$`)

// str writes s as a YAML scalar, quoted unless it is plainly a string: YAML
// reads yes, no, on, off, null and numbers as other types.
func str(s string) string {
	switch strings.ToLower(s) {
	case "y", "n", "yes", "no", "on", "off", "true", "false", "null":
		return strconv.Quote(s)
	}
	if plainScalar().MatchString(s) && !strings.Contains(s, "${") {
		return s
	}
	return strconv.Quote(s)
}

var hostUnsafe = lazyre.New(`[^a-z0-9-]+`)

func exampleHost(service string) string {
	h := strings.Trim(hostUnsafe().ReplaceAllString(strings.ToLower(service), "-"), "-")
	if h == "" {
		return "my-service"
	}
	return h
}
