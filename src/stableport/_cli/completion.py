"""Shell completion: generated bash, zsh and fish scripts, and the names they ask for.

`stableport --completion bash` prints a script once, at shell start-up; the
script completes commands and options from what it was generated with, and
asks `stableport --completion services` (or `envs`) for the project's declared
names when it needs them. The fast `stableport NAME` path never sees any of it.
"""

from stableport._config import load_with_origin
from stableport._errors import StableportError

from .argparser import command_choices, command_options
from .commands import COMMANDS

TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse

    Options = dict[str | None, list[tuple[str, argparse.Action]]]  # by command, None: NAME
    Words = dict[str, tuple[str, ...]]  # a command's positional choices

NAMES = ("services", "envs")  # what the scripts ask for while completing
# Options whose value is an environment name: completed from the project's envs.
_ENV_OPTIONS = ("--env",)


def completion(what: str, config: str | None) -> str:
    """The script for a shell, or the declared services or envs one per line."""
    if what in NAMES:
        return _names(what, config)
    options = {command: command_options(command) for command in (None, *COMMANDS)}
    words = {command: command_choices(command) for command in COMMANDS}
    words = {command: choices for command, choices in words.items() if choices}
    return {"bash": _bash, "zsh": _zsh, "fish": _fish}[what](options, words)


def _names(what: str, config: str | None) -> str:
    """The discovered (or --config) map's declared names; none if it cannot be loaded."""
    try:
        # The plain map: names do not depend on the instance, and a TAB press
        # must never give a worktree its instance (nor print a note mid-line).
        pm, _ = load_with_origin(config, instance="0")
    except StableportError:
        return ""  # a broken configuration: the command itself will say why
    names = pm.services if what == "services" else pm.envs or ()
    return "".join(f"{name}\n" for name in names)


def _bash(options: "Options", words: "Words") -> str:
    """A bash completion function (zsh runs it too, through bashcompinit).

    words: each command's positional choices (instance: show, new), offered
    until one is given.
    """
    positional = "\n".join(
        f'        {command}) COMPREPLY=($(compgen -W {_words(" ".join(choices))} -- "$cur")) ;;'
        for command, choices in words.items()
    )
    cases = "\n".join(
        f"        {command}) opts={_words(' '.join(name for name, _ in options[command]))} ;;"
        for command in options
        if command is not None
    )
    valued = sorted(
        {name for entries in options.values() for name, action in entries if _takes_value(action)}
    )
    choices = {
        name: " ".join(action.choices)
        for entries in options.values()
        for name, action in entries
        if action.choices
    }
    choice_cases = "\n".join(
        f'        {name}) COMPREPLY=($(compgen -W {_words(words)} -- "$cur")); return ;;'
        for name, words in sorted(choices.items())
    )
    commands = " ".join(command for command in options if command is not None)
    top = " ".join(name for name, _ in options[None])
    special = {"--env", "--config", *choices}
    other = "|".join(name for name in valued if name not in special)
    return f"""\
# stableport completion for bash; in ~/.bashrc: eval "$(stableport --completion bash)"
_stableport_names() {{
    if [[ -n $2 ]]; then
        stableport --config "$2" --completion "$1" 2>/dev/null
    else
        stableport --completion "$1" 2>/dev/null
    fi
}}
# Names come from the project's file: never through compgen -W, which would
# expand a "$(...)" in one; matched here, and quoted for the command line.
_stableport_add_names() {{
    local name
    while IFS= read -r name; do
        [[ $name == "$cur"* ]] && COMPREPLY+=("$(printf '%q' "$name")")
    done < <(_stableport_names "$1" "$2")
}}
_stableport_is_command() {{
    case " {commands} " in *" $1 "*) return 0 ;; esac
    return 1
}}
_stableport() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local command="" named="" config="" i word
    COMPREPLY=()
    for ((i = 1; i < COMP_CWORD; i++)); do
        word="${{COMP_WORDS[i]}}"
        case "$word" in
            --)
                if [[ $command == run ]]; then  # the command's own words: files
                    compopt -o default 2>/dev/null
                    return
                fi
                command=${{command:-NAME}}; named=1 ;;
            --config) ((i++)); config="${{COMP_WORDS[i]}}" ;;
            {"|".join(valued)}) ((i++)) ;;
            -*) ;;
            *)
                if [[ -z $command ]] && _stableport_is_command "$word"; then
                    command=$word
                else
                    command=${{command:-NAME}}; named=1
                fi ;;
        esac
    done
    case "$prev" in
{choice_cases}
        --env) _stableport_add_names envs "$config"; return ;;
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        {other}) return ;;
    esac
    local opts={_words(top)}
    case "$command" in
{cases}
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts" -- "$cur"))
    elif [[ -z $command ]]; then
        COMPREPLY=($(compgen -W '{commands}' -- "$cur"))
        _stableport_add_names services "$config"
    elif [[ -z $named && ( $command == explain || $command == run ) ]]; then
        _stableport_add_names services "$config"
    elif [[ -z $named ]]; then
        case "$command" in
{positional}
        esac
    fi
}}
complete -F _stableport stableport
"""


def _zsh(options: "Options", words: "Words") -> str:
    return f"""\
# stableport completion for zsh; in ~/.zshrc: eval "$(stableport --completion zsh)"
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
{_bash(options, words).split(chr(10), 1)[1]}"""


def _fish(options: "Options", words: "Words") -> str:
    commands = " ".join(command for command in options if command is not None)
    lines = [
        "# stableport completion for fish; in ~/.config/fish/config.fish:",
        "#   stableport --completion fish | source",
        "complete -c stableport -f",
        f"complete -c stableport -n '__fish_use_subcommand' -a '{commands}'",
        "complete -c stableport -n '__fish_use_subcommand' "
        "-a '(stableport --completion services 2>/dev/null)'",
        "complete -c stableport -n '__fish_seen_subcommand_from explain run' "
        "-a '(stableport --completion services 2>/dev/null)'",
    ]
    for owner, choices in words.items():  # offered until one is given
        given = " ".join(choices)
        lines.append(
            f"complete -c stableport -n '__fish_seen_subcommand_from {owner}; "
            f"and not __fish_seen_subcommand_from {given}' -a '{given}'"
        )
    for command, entries in options.items():
        # The NAME form's options: after a service name too, before any command.
        condition = (
            f"not __fish_seen_subcommand_from {commands}"
            if command is None
            else f"__fish_seen_subcommand_from {command}"
        )
        for name, action in entries:
            if not name.startswith("--"):
                continue
            spec = f"complete -c stableport -n '{condition}' -l {name[2:]}"
            if name in _ENV_OPTIONS:
                spec += " -x -a '(stableport --completion envs 2>/dev/null)'"
            elif action.choices:
                spec += f" -x -a '{' '.join(action.choices)}'"
            elif name == "--config":
                spec += " -r -F"
            elif _takes_value(action):
                spec += " -x"
            if action.help and not action.choices:  # fish shows it beside each choice
                spec += f" -d {_quoted(action.help.split(';')[0].split(' (')[0])}"
            lines.append(spec)
    return "\n".join(lines) + "\n"


def _takes_value(action: "argparse.Action") -> bool:
    return action.nargs != 0 and bool(action.option_strings)


def _quoted(text: str) -> str:
    """text as one single-quoted fish word (fish reads \\ and \\' inside single quotes)."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _words(text: str) -> str:
    """Option names and choices as one single-quoted bash word: they hold no quote."""
    if "'" in text:  # pragma: no cover - argparse names here are [a-z-], a guard for later ones
        raise ValueError(f"cannot quote {text!r} for bash")
    return f"'{text}'"
