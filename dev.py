#!/usr/bin/env python3
"""One entry point for a fresh machine: sets up .venv on first use, then runs pytest.

    python3 dev.py suite [pytest args]   the conformance suite against the bundled mock
    python3 dev.py test  [pytest args]   the project's own tests and the conformance suite
    python3 dev.py lint                  ruff check and ruff format --check over the tree

Only the standard library is used here, so it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed-from"
COMMANDS = {
    "suite": ["-m", "pytest", "conformance/checks", "-n", "auto"],
    "test": ["-m", "pytest", "-n", "auto"],
}
LINTS = (["-m", "ruff", "check", "."], ["-m", "ruff", "format", "--check", "."])


def venv_python() -> Path:
    """The interpreter inside the project's virtual environment."""
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def ensure_venv() -> None:
    """Create .venv and install the project when pyproject.toml changed since the last install."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if venv_python().exists() and STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not venv_python().exists():
        print("dev.py: creating .venv", flush=True)
        venv.create(VENV, with_pip=True)
    print("dev.py: installing the project and its dependencies into .venv", flush=True)
    pip = [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(wanted)


def run(args: list[str]) -> int:
    return subprocess.call([str(venv_python()), *args], cwd=ROOT)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in (*COMMANDS, "lint"):
        print(__doc__.strip())
        return 2
    ensure_venv()
    if argv[0] == "lint":
        return max(run(lint) for lint in LINTS)
    return run([*COMMANDS[argv[0]], *argv[1:]])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
