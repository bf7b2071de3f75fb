# The learner's own .zshrc runs first, as in any terminal; then the course's environment goes
# first on PATH again, since a pyenv, conda or nvm set-up puts its own first and `pytest` or
# `uvicorn` would then not be the course's.
ZDOTDIR="${SHIPLINGS_USER_ZDOTDIR:-$HOME}"
if [[ -f "$ZDOTDIR/.zshrc" ]]; then
    source "$ZDOTDIR/.zshrc"
fi
if [[ -n "${SHIPLINGS_SCRIPTS:-}" ]]; then
    path=("$SHIPLINGS_SCRIPTS" $path)
    rehash
fi
