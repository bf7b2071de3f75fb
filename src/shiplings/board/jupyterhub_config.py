# The class board as a JupyterHub service: the lines a hub admin adds to jupyterhub_config.py
# (JupyterHub 5 or newer). The course site's guide "Running the course on a hub" explains each
# one; tests/test_board_hub.py loads this file and checks it with JupyterHub's own scope rules.
#
# Under RBAC (JupyterHub 2 and later) nobody may reach a service by default: learners need the
# access scope in their role AND in their server's token (the one their reports carry), and
# instructors need the board's custom scope, which the board's OAuth client must be allowed to ask for.

c = get_config()  # noqa: F821 (JupyterHub defines it when it loads this file)

# where the course is checked out on the hub's machine (./shiplings once there sets up its .venv)
COURSE = "/srv/shiplings"
BOARD = "shiplings-board"
BOARD_PORT = 8765
INSTRUCT = "custom:shiplings-board:instruct"

c.JupyterHub.services = [
    *c.JupyterHub.get("services", []),
    {
        "name": BOARD,
        # the hub starts and stops it; learners' servers on this machine reach it here (TLJH),
        # pods through the hub's public address: /services/shiplings-board/
        "url": f"http://127.0.0.1:{BOARD_PORT}",
        "command": [f"{COURSE}/.venv/bin/shiplings", "board", "serve"],
        "cwd": COURSE,
        "environment": {"SHIPLINGS_HOME": COURSE},
        # the token the hub gives the board for an instructor may carry the instruct scope
        "oauth_client_allowed_scopes": [INSTRUCT],
        "display": True,
    },
]

c.JupyterHub.custom_scopes = {
    INSTRUCT: {"description": "Run the class board: see every learner, make join codes, remove learners, export."},
}

c.JupyterHub.load_roles = [
    *c.JupyterHub.get("load_roles", []),
    # every learner may reach the board (the default user role has only "self")
    {"name": "user", "scopes": ["self", f"access:services!service={BOARD}"]},
    # instructors: name them here, or add them to the group
    {
        "name": "shiplings-board-instructor",
        "scopes": [f"access:services!service={BOARD}", INSTRUCT],
        "users": [],
        "groups": ["shiplings-instructors"],
    },
]
c.JupyterHub.load_groups = {**c.JupyterHub.get("load_groups", {}), "shiplings-instructors": {"users": []}}

# JUPYTERHUB_API_TOKEN in each learner's server: the default ("server" role) cannot reach a
# service, so their reports would be refused; this adds the board to what it may do.
c.Spawner.server_token_scopes = ["users:activity!user", "access:servers!server", f"access:services!service={BOARD}"]
# `shiplings join --hub` in a learner's server finds the board here (set your hub's public URL on a cluster)
c.Spawner.environment = {**c.Spawner.get("environment", {}),
                         "SHIPLINGS_BOARD_URL": f"http://127.0.0.1:{BOARD_PORT}"}
