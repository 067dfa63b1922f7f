package report

import "github.com/omdeploy/omdeploy/internal/iostreams"

// ProgressFor picks how progress is shown: slog records for --log-format
// json; on a terminal that wants colour (see iostreams.IO.Color) the live
// view; plain lines otherwise (CI logs, pipes, files, NO_COLOR, --no-color).
func ProgressFor(logJSON bool, s *iostreams.IO) Progress {
	switch {
	case logJSON:
		return ProgressJSON
	case s.Color:
		return ProgressLive
	}
	return ProgressPlain
}
