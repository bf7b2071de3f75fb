"""The class board as a JupyterHub service: the hub says who learners and instructors are.

When JupyterHub starts the board as a managed service (jupyterhub_config.py in this folder
has the lines a hub admin pastes), it sets JUPYTERHUB_SERVICE_NAME, JUPYTERHUB_API_TOKEN,
JUPYTERHUB_API_URL, JUPYTERHUB_CLIENT_ID, JUPYTERHUB_OAUTH_CALLBACK_URL and the rest in
the board's environment, and JupyterHub's own auth classes (HubAuth, HubOAuth) read them:

- A learner reports with their hub token (JUPYTERHUB_API_TOKEN in their server, sent by
  their outbox): the board asks the hub whose it is (HubAuth.user_for_token, cached) and
  that it carries `access:services!service=<board>`. No join code: the hub knows their name.
- An instructor signs in through the hub (HubOAuth, with PKCE): the board accepts them
  when the hub's token for them carries the custom scope INSTRUCT_SCOPE, then gives them the
  board's own short session (the same JWT cookie as the instructor secret gives).

Without those variables the board is standalone, exactly as before: join codes and the
instructor secret. Join codes and the secret keep working on a hub too.
"""

from __future__ import annotations

import os

from shiplings.board import security

INSTRUCT_SCOPE = "custom:shiplings-board:instruct"
# a key an opaque learner token can never hash from (token_urlsafe has no colon)
HUB_USER = "hub-user:"


def under_hub() -> bool:
    """JupyterHub started this process as a service."""
    return bool(os.environ.get("JUPYTERHUB_SERVICE_NAME") and os.environ.get("JUPYTERHUB_API_TOKEN"))


def service_prefix() -> str:
    """Where the hub's proxy serves the board (/services/<name>), which it passes on unstripped."""
    return os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "").rstrip("/")


def make_auth(**config):
    """JupyterHub's HubOAuth, configured from the service's environment (config overrides it)."""
    from jupyterhub.services.auth import HubOAuth

    return HubOAuth(**config)


def learner_key(user_name: str) -> str:
    """Where a hub learner's row is found (Room.by_token): no token of theirs is kept."""
    return security.token_digest(HUB_USER + user_name)


def access_fix(auth) -> str:
    scopes = " ".join(sorted(auth.access_scopes)) or "access:services!service=shiplings-board"
    return (f"The hub did not give your token access to the class board ({scopes}): ask the hub admin to add it "
            "to the learners' role and to c.Spawner.server_token_scopes (the course site's hub guide has the lines).")


def instruct_fix(name: str) -> str:
    return (f"Your hub account ({name}) may not run the class board: it needs the scope {INSTRUCT_SCOPE}. "
            "Ask the hub admin to add you to the shiplings-board-instructor role (or its group), then sign in again.")
