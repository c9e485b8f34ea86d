# Server defaults of the docker-stacks contract: listen on every address inside the
# container, on JUPYTER_PORT, and never try to open a browser.
import os

c = get_config()  # noqa: F821 (injected by traitlets)
c.ServerApp.ip = "0.0.0.0"
c.ServerApp.port = int(os.environ.get("JUPYTER_PORT", "8888"))
c.ServerApp.open_browser = False
c.ServerApp.root_dir = os.environ.get("HOME", "/home/jovyan")
