package pipeline

import (
	"os"

	"github.com/omdeploy/omdeploy/internal/actor"
	"github.com/omdeploy/omdeploy/internal/event"
	"github.com/omdeploy/omdeploy/internal/notify"
)

// who is the run's actor: the one given, else read from the environment.
func (o Options) who() actor.Actor {
	if o.Actor.Who != "" {
		return o.Actor
	}
	host, _ := os.Hostname()
	return actor.FromEnv(os.LookupEnv, host)
}

// notifier builds the run's notifier from the config's notify targets and
// returns opts with it listening to the event stream; nil when the config
// has no targets or the run is a dry run, which deploys nothing worth
// announcing.
func notifier(opts Options, who actor.Actor) (*notify.Notifier, Options) {
	if opts.Config == nil || len(opts.Config.Notify) == 0 || opts.Engine.DryRun {
		return nil, opts
	}
	if opts.Reporter == nil {
		opts.Reporter = event.Nop{}
	}
	n := notify.New(notify.Options{
		Targets: opts.Config.Notify,
		// Warnings go to the stream without the notifier, which has
		// nothing to say about them.
		Reporter: opts.Reporter,
		Run: notify.Run{
			Actor: who, Account: opts.Config.AccountID, Region: opts.AWS.Region,
			Services: opts.Services, Image: opts.Engine.Image, Tag: opts.Engine.Tag,
		},
	})
	opts.Reporter = event.Tee{opts.Reporter, n}
	return n, opts
}
