#!/opt/jupyter/bin/python3
"""Start Jupyter the way docker-stacks does: DOCKER_STACKS_JUPYTER_CMD picks lab or
notebook, NOTEBOOK_ARGS and the command's own arguments are passed through. Spawned by
a JupyterHub (JUPYTERHUB_API_TOKEN set), it runs jupyterhub-singleuser instead."""
import os
import shlex
import sys

if "JUPYTERHUB_API_TOKEN" in os.environ:
    args = ["jupyterhub-singleuser"]
else:
    args = ["jupyter", os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")]
args += shlex.split(os.environ.get("NOTEBOOK_ARGS", ""))
args += sys.argv[1:]
os.execvp(args[0], args)
