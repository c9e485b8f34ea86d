#!/opt/jupyter/bin/python3
"""Start Jupyter the way docker-stacks does: DOCKER_STACKS_JUPYTER_CMD picks lab or
notebook, NOTEBOOK_ARGS and the command's own arguments are passed through."""
import os
import shlex
import sys

command = os.environ.get("DOCKER_STACKS_JUPYTER_CMD", "lab")
args = ["jupyter", command]
args += shlex.split(os.environ.get("NOTEBOOK_ARGS", ""))
args += sys.argv[1:]
os.execvp(args[0], args)
