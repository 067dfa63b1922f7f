// Package actor says who runs a deploy and from where: the CI run when
// there is one (GitHub Actions), else the user at the machine. The deploy
// lock names its holder with it and notifications say who deployed.
package actor

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
)

// Actor is who runs this deploy.
type Actor struct {
	Who    string `json:"who"`               // GITHUB_ACTOR, else USER@hostname
	RunID  string `json:"run_id"`            // the CI run's ID, else a random one for this process
	RunURL string `json:"run_url,omitempty"` // the CI run's page; empty outside CI
}

// FromEnv reads the actor from the environment (os.LookupEnv in
// production) and hostname (os.Hostname's answer, "" when it failed).
func FromEnv(lookup func(string) (string, bool), hostname string) Actor {
	get := func(k string) string { v, _ := lookup(k); return strings.TrimSpace(v) }
	a := Actor{Who: get("GITHUB_ACTOR"), RunID: get("GITHUB_RUN_ID")}
	if a.RunID != "" {
		server, repo := get("GITHUB_SERVER_URL"), get("GITHUB_REPOSITORY")
		if server == "" {
			server = "https://github.com"
		}
		if repo != "" {
			a.RunURL = strings.TrimRight(server, "/") + "/" + repo + "/actions/runs/" + a.RunID
		}
		if attempt := get("GITHUB_RUN_ATTEMPT"); attempt != "" && attempt != "1" {
			// A re-run keeps its run ID; the attempt tells the two apart
			// in a lock's holder.
			a.RunID += "." + attempt
		}
	}
	if a.Who == "" {
		user := get("USER")
		if user == "" {
			user = get("USERNAME") // Windows
		}
		if user == "" {
			user = "unknown"
		}
		if hostname == "" {
			hostname = "unknown-host"
		}
		a.Who = user + "@" + hostname
	}
	if a.RunID == "" {
		a.RunID = randomID()
	}
	return a
}

// randomID tells two local runs by the same user apart.
func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return "local-" + hex.EncodeToString(b)
}
