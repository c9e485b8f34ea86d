import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "shared"))

from labforge_jupyter import client  # noqa: E402,F401  (the fixture, shared with other scenarios)
