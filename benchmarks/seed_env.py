"""The seed's own implementation, for side-by-side runs: g4f 0.0.1.5 from the package registry.

It is installed into its own virtual environment (``benchmarks/.seed-venv``), never vendored;
``seed_runner.py`` runs inside it and loads only ``g4f/Provider/Providers/Bing.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
VENV = HERE / ".seed-venv"
SEED_PACKAGE = "g4f==0.0.1.5"
SEED_DEPENDENCIES = ["requests", "aiohttp", "certifi"]


def seed_python() -> Path:
    """The seed venv's interpreter, creating the venv on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        # --no-deps: the package's own requirements pull in unrelated providers' libraries.
        subprocess.run([*pip, "--no-deps", SEED_PACKAGE], check=True)
        subprocess.run([*pip, *SEED_DEPENDENCIES], check=True)
    return python


def run_seed(*args: str) -> Any:
    """Run ``seed_runner.py`` in the seed venv; return the JSON it prints."""
    result = subprocess.run(
        [str(seed_python()), str(HERE / "seed_runner.py"), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise RuntimeError(f"seed runner failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])
