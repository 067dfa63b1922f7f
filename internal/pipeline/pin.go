package pipeline

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/omdeploy/omdeploy/config"
	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
	"github.com/omdeploy/omdeploy/internal/runbook"
	"github.com/omdeploy/omdeploy/preflight"
)

// pinning reports whether the run registers s's images by digest:
// --pin-digest, or the service's pin_digest.
func (o Options) pinning(s config.Service) bool { return o.Engine.PinDigest || s.PinDigest }

// pinsAny reports whether a service of the run pins digests.
func (o Options) pinsAny() bool {
	for _, s := range o.Services {
		if o.pinning(s) {
			return true
		}
	}
	return false
}

// resolveOnly runs images.exist alone, for the digests a run that pins
// needs when the checklist is skipped (--skip-preflight): pinning is what
// makes the revision immutable, so skipping checks does not quietly drop
// it, and the digests still come from the one check that resolves them.
func resolveOnly(ctx context.Context, opts Options) ([]preflight.Check, error) {
	opts.Preflight.only = []string{preflight.IDImagesExist}
	return preflightStage(ctx, opts)
}

// pinDigests gives the engine the digests images.exist resolved for each
// service: the ones it pins with, and compares the running tasks' with
// after the rollout. An image of a service that pins whose digest is
// unknown (the check skipped it: a registry that wants credentials) fails
// the run at preflight (exit 3), before anything is written, naming the
// images.
func pinDigests(opts *Options, checks []preflight.Check) error {
	var errs []error
	all := maps.Clone(opts.Engine.Digests) // the caller's map stays as it was
	if all == nil {
		all = map[string]map[string]string{}
	}
	for _, s := range opts.Services {
		resolved := preflight.ResolvedImages(checks, s.Name)
		digests := map[string]string{}
		var missing []string
		for _, img := range resolved {
			_, _, pinned := imageref.Split(img.Image)
			switch {
			case img.Digest != "":
				digests[img.Image] = img.Digest
			case pinned == "":
				missing = append(missing, img.Container+" ("+img.Image+")")
			}
		}
		all[s.Name] = digests
		switch {
		case !opts.pinning(s):
		case len(resolved) == 0:
			errs = append(errs, unresolved(s.Name, fmt.Errorf("pin_digest: images.exist resolved no image of service %s (see its message); the revision cannot be pinned", s.Name)))
		case len(missing) > 0:
			errs = append(errs, unresolved(s.Name, fmt.Errorf("pin_digest: no digest was resolved for %s of service %s (see images.exist); the revision cannot be pinned", strings.Join(missing, ", "), s.Name)))
		}
	}
	opts.Engine.Digests = all
	return errors.Join(errs...)
}

// Digests runs images.exist alone and returns what a deploy that pins
// would register for each service that pins: by service name, image
// reference → digest. render --pin-digest prints the revision with them.
// It fails as the deploy would (exit 3): an image missing, or a digest
// unresolved.
func Digests(ctx context.Context, opts Options) (map[string]map[string]string, error) {
	if !opts.pinsAny() {
		return nil, nil
	}
	checks, err := resolveOnly(ctx, opts)
	if err != nil {
		return nil, err
	}
	if err := pinDigests(&opts, checks); err != nil {
		return nil, err
	}
	return opts.Engine.Digests, nil
}

// unresolved is the preflight failure of a service that pins an image
// whose digest is unknown, with the runbook's fix.
func unresolved(service string, err error) error {
	return &failure.Error{Stage: failure.StagePreflight, Service: service, RunbookID: runbook.ImageDigestUnresolved,
		Fix: runbook.Fix(runbook.ImageDigestUnresolved, nil), Err: err}
}
