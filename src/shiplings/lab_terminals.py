"""JupyterLab's terminals for the course: every terminal opens in the workspace.

JupyterLab asks for a new terminal in the folder its file browser shows, usually
notebooks/, where none of the course's commands (`uvicorn main:app --reload`, `pytest`,
`alembic upgrade head`) finds the app. jupyter_server has no setting for a terminal's
folder (ServerApp.terminado_settings honours only shell_command), so `shiplings lab`
configures this terminal manager: it opens each terminal in the server's root, the
workspace.
"""

from __future__ import annotations

from jupyter_server_terminals.terminalmanager import TerminalManager


class WorkspaceTerminalManager(TerminalManager):
    def new_terminal(self, **kwargs):
        kwargs["cwd"] = self.parent.root_dir
        return super().new_terminal(**kwargs)
