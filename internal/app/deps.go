package app

import (
	"context"

	"github.com/omdeploy/omdeploy/internal/awsx"
	"github.com/omdeploy/omdeploy/internal/clock"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/iostreams"
	"github.com/omdeploy/omdeploy/internal/pipeline"
)

// deps are what a command reaches outside the process. Run uses the real
// ones; a test points the CLI's own commands at the simulator with them,
// so the path from flags to pipeline is the one users run.
type deps struct {
	// io is the process's streams; Run sets it.
	io *iostreams.IO
	// aws builds the clients the stages call; default: the SDK's.
	aws func(ctx context.Context, o awsx.Options) pipeline.AWS
	// clock paces waiting; default: the wall clock.
	clock clock.Clock
	// observe sees every event next to the views; nil: nothing else does.
	observe event.Reporter
}

func (d deps) withDefaults() deps {
	if d.aws == nil {
		d.aws = func(ctx context.Context, o awsx.Options) pipeline.AWS {
			return pipeline.FromClients(awsx.Load(ctx, o))
		}
	}
	if d.clock == nil {
		d.clock = clock.Real{}
	}
	return d
}
