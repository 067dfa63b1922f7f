package app

import (
	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
	"github.com/omdeploy/omdeploy/internal/imageref"
)

// imageFlags are --image and --tag, each repeatable: a bare value for the
// target container, NAME=VALUE for a container by name.
func imageFlags(image, tag string) []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: flagImage, Usage: image + "; NAME=REPO:TAG for container NAME (repeatable: several containers in one revision)"},
		&cli.StringSliceFlag{Name: flagTag, Usage: tag + "; NAME=TAG for container NAME (repeatable)"},
	}
}

const flagPinDigest = "pin-digest"

// pinDigestFlag is --pin-digest: register repo:tag@sha256:... for every
// image, with the digests preflight's images.exist resolved.
func pinDigestFlag() cli.Flag {
	return &cli.BoolFlag{Name: flagPinDigest, EnvVars: []string{"OMDEPLOY_PIN_DIGEST"},
		Usage: "register every image by the digest preflight resolved for it (REPO:TAG@sha256:...), so the revision is immutable; as pin_digest: true in the config. An image whose digest is unknown fails (exit 3); with --skip-preflight, images.exist still runs, alone"}
}

// changeFlags reads --image and --tag; a malformed value is a usage error
// (exit 2).
func changeFlags(c *cli.Context) (imageref.Change, error) {
	ch, err := imageref.ParseChange(c.StringSlice(flagImage), c.StringSlice(flagTag))
	if err != nil {
		return ch, failure.New(failure.StageConfig, "", "", err)
	}
	return ch, nil
}
