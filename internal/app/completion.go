package app

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
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
		OnUsageError: onUsageError,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return newUsageError(c.Command, "", nil, fmt.Errorf("completion: name one shell: bash, zsh or fish"))
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
				return newUsageError(c.Command, shell, []string{"bash", "zsh", "fish"}, fmt.Errorf("completion: unknown shell %q; expected bash, zsh or fish", shell))
			}
			_, err := io.WriteString(c.App.Writer, script)
			return err
		},
	}
}

// bashCompletion asks the binary for the words that fit the line so far.
// The completion flag goes right after the program name, never at the end:
// after a "--" on the line it would be an argument, and a binary that
// handed it to urfave/cli would run the command. The word being completed
// is always the last argument, "" included, so "deploy --" (a prefix) and
// "deploy -- " (a separator) differ.
const bashCompletion = `# bash completion for omdeploy; load with: source <(omdeploy completion bash)
_omdeploy_complete() {
  local cur
  COMPREPLY=()
  cur="${COMP_WORDS[COMP_CWORD]}"
  local -a words=("${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur")
  local opts
  opts=$("${COMP_WORDS[0]}" --generate-bash-completion "${words[@]}" 2>/dev/null)
  COMPREPLY=($(compgen -W "${opts}" -- "${cur}"))
  return 0
}
complete -o bashdefault -o default -F _omdeploy_complete omdeploy
`

// zshCompletion does the same for zsh, the flag again right after the
// program name; with 0=zsh in its environment the
// binary adds each command's usage as a description. It works both from
// $fpath (autoloaded as _omdeploy) and sourced.
const zshCompletion = `#compdef omdeploy
# zsh completion for omdeploy: save it as _omdeploy in a directory of $fpath,
# or load it with: source <(omdeploy completion zsh)
_omdeploy() {
  local -a opts line
  local cur=${words[CURRENT]}
  line=("${(@)words[2,CURRENT-1]}" "$cur")
  opts=("${(@f)$(env 0=zsh ${words[1]} --generate-bash-completion "${(@)line}" 2>/dev/null)}")
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
