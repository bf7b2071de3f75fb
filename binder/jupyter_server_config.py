"""The Jupyter server's settings for the course on Binder or a hub (linked into ${NB_PYTHON_PREFIX} by postBuild).

JupyterLab opens on lesson 01 in the learner's workspace, as `shiplings lab` does on a laptop;
terminals put the course's environment first; jupyter-server-proxy gives the Vite dev server
and the Tasks app an address under the learner's server, with a launcher tile each.
"""

import os
import tomllib
from pathlib import Path

c = get_config()  # noqa: F821 (defined by Jupyter when it loads this file)

course = Path(os.environ.get("SHIPLINGS_HOME") or os.environ.get("REPO_DIR") or Path.home())
workspace = Path(os.environ.get("SHIPLINGS_WORKSPACE") or course / "workspace")
first_lesson = tomllib.loads((course / "course.toml").read_text(encoding="utf-8"))["lessons"][0]["id"]

c.ServerApp.root_dir = str(workspace)
# the server's, and the one of whichever app starts it (`jupyter lab`, or `jupyter notebook`, repo2docker's
# default command): each replaces the server's default page with its own
lesson_page = f"/lab/tree/notebooks/{first_lesson}.ipynb"
c.ServerApp.default_url = c.LabApp.default_url = c.JupyterNotebookApp.default_url = lesson_page
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
# bash with the course's start-up file: the learner's ~/.bashrc, then the course's .venv first on PATH
c.ServerApp.terminado_settings = {
    "shell_command": ["bash", "--rcfile", str(course / "src/shiplings/jupyter_config/terminal/bashrc")],
}

# The lessons' own ports: Vite's dev server on 5173 (lessons 12-15) and the app on 8000, started by the
# learner in a terminal as the lessons say. No command here: the proxy only gives them an address.
c.ServerProxy.servers = {
    "vite": {
        "port": 5173,
        # Vite serves the page under this path (VITE_DEV_BASE, set by binder/start), so it sees the whole path
        "absolute_url": True,
        # Vite refuses a Host it does not know; to it, the request comes from its own machine
        "request_headers_override": {"Host": "localhost:5173"},
        "launcher_entry": {"title": "Vite dev server (5173)"},
    },
    "tasks-app": {
        "port": 8000,
        # the app sees /docs, /tasks ... as on a laptop
        "absolute_url": False,
        "launcher_entry": {"title": "Tasks app (8000)", "path_info": "tasks-app/docs"},
    },
}
