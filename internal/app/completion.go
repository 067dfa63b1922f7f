package app

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/omdeploy/omdeploy/internal/failure"
)

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:      "completion",
		Usage:     "print a shell completion script (bash, zsh or fish)",
		ArgsUsage: "bash|zsh|fish",
		Description: `Prints a script that completes omdeploy's commands and flags. bash and zsh ask the binary
itself (--generate-bash-completion), so they follow new commands without being regenerated.

EXAMPLES:
   source <(omdeploy completion bash)                               # bash, this shell
   omdeploy completion bash > /etc/bash_completion.d/omdeploy         # bash, every shell
   omdeploy completion zsh > "${fpath[1]}/_omdeploy"                  # zsh (then: compinit)
   omdeploy completion fish > ~/.config/fish/completions/omdeploy.fish`,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return failure.New(failure.StageConfig, "", "", err)
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return failure.New(failure.StageConfig, "", "", fmt.Errorf("completion: name one shell: bash, zsh or fish"))
			}
			var script string
			switch shell := c.Args().First(); shell {
			case "bash":
				script = bashCompletion
			case "zsh":
				script = zshCompletion
			case "fish":
				s, err := c.App.ToFishCompletion()
				if err != nil {
					return fmt.Errorf("completion fish: %w", err)
				}
				script = s
			default:
				return failure.New(failure.StageConfig, "", "", fmt.Errorf("completion: unknown shell %q; expected bash, zsh or fish", shell))
			}
			_, err := io.WriteString(c.App.Writer, script)
			return err
		},
	}
}

// bashCompletion asks the binary for the words that fit the line so far.
const bashCompletion = `# bash completion for omdeploy; load with: source <(omdeploy completion bash)
_omdeploy_complete() {
  local cur words
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  words=("${COMP_WORDS[@]:0:COMP_CWORD}")
  local opts
  if [[ "$cur" == -* ]]; then
    opts=$("${words[@]}" "$cur" --generate-bash-completion 2>/dev/null)
  else
    opts=$("${words[@]}" --generate-bash-completion 2>/dev/null)
  fi
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _omdeploy_complete omdeploy
`

// zshCompletion does the same for zsh; with 0=zsh in its environment the
// binary adds each command's usage as a description. It works both from
// $fpath (autoloaded as _omdeploy) and sourced.
const zshCompletion = `#compdef omdeploy
# zsh completion for omdeploy: save it as _omdeploy in a directory of $fpath,
# or load it with: source <(omdeploy completion zsh)
_omdeploy() {
  local -a opts
  local cur=${words[-1]}
  if [[ "$cur" == -* ]]; then
    opts=("${(@f)$(env 0=zsh ${words[@]:0:#words[@]-1} ${cur} --generate-bash-completion 2>/dev/null)}")
  else
    opts=("${(@f)$(env 0=zsh ${words[@]:0:#words[@]-1} --generate-bash-completion 2>/dev/null)}")
  fi
  if [[ "${opts[1]}" != "" ]]; then
    _describe 'values' opts
  else
    _files
  fi
}
if [[ "${funcstack[1]}" == "_omdeploy" ]]; then
  _omdeploy "$@"
else
  compdef _omdeploy omdeploy
fi
`
