# zsh in the course's JupyterLab terminals reads its start-up files from here (ZDOTDIR, set by
# shiplings/commands/lab.py): the learner's own .zshenv first.
if [[ -f "${SHIPLINGS_USER_ZDOTDIR:-$HOME}/.zshenv" ]]; then
    source "${SHIPLINGS_USER_ZDOTDIR:-$HOME}/.zshenv"
fi
