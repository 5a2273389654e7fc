"""The official SDKs, files unchanged, against the mock served over HTTP: channel create,
publish, poll (woken by a publish, ended by the poll timeout), history, a separate_rooms
channel. Both run in every test run; what they need is installed on first use into
``.venv/sdk-cache/`` (node itself through apt-get), and an install that fails fails the test.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.installs import cached, debian_program, run_install
from tests.mock.test_cli import KEY, served

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".venv" / "sdk-cache"
SDK_DIR = Path(__file__).with_name("sdk")
PY_SDK = "syncano==5.4.6"
# What the Python SDK imports, at current versions: its own exact pins do not build on >= 3.8.
PY_SDK_IMPORTS = ("requests", "six", "validictory", "python-slugify")
JS_SDK = "syncano@1.0.30"
POLL_TIMEOUT = 2
CHECK_TIMEOUT = 120


def install_python_sdk() -> Path:
    """The interpreter of a venv of the SDK's own: installed with ``--no-deps`` beside the
    packages it imports, so its pins never reach the project's .venv."""

    def install(venv: Path) -> None:
        run_install([sys.executable, "-m", "venv", "--without-pip", str(venv)], "a venv")
        pip = [
            *(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")),
            *("install", "--quiet", "--disable-pip-version-check"),
        ]
        run_install([*pip, "--no-deps", PY_SDK], PY_SDK)
        run_install([*pip, *PY_SDK_IMPORTS], "the Python SDK's imports")

    return cached(CACHE / f"python-{PY_SDK.replace('==', '-')}", install) / "bin" / "python"


@pytest.fixture(scope="session")
def js_sdk() -> tuple[str, Path]:
    """Node and the ``node_modules`` holding the JS SDK (node and npm from Debian's packages)."""
    node = debian_program("node", "nodejs", "npm")
    npm = debian_program("npm", "nodejs", "npm")

    def install(prefix: Path) -> None:
        run_install(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", JS_SDK],
            JS_SDK,
            cwd=prefix,
        )

    return node, cached(CACHE / f"js-{JS_SDK.replace('@', '-')}", install) / "node_modules"


def run_check(command: list[str], ok: str, env: dict[str, str] | None = None) -> None:
    """Run a check script against a fresh mock; pass only when its last line is ``ok``."""
    with served("--account-key", KEY, "--poll-timeout", str(POLL_TIMEOUT), "--quiet") as server:
        try:
            result = subprocess.run(
                [*command, server.url, KEY, str(POLL_TIMEOUT)],
                capture_output=True,
                text=True,
                timeout=CHECK_TIMEOUT,
                env={**os.environ, **(env or {})},
            )
        except subprocess.TimeoutExpired as expired:
            pytest.fail(f"the check did not finish in {CHECK_TIMEOUT}s:\n{expired.stdout}")
    if result.returncode != 0 or result.stdout.splitlines()[-1:] != [ok]:
        pytest.fail(
            f"{command[-1]} exited {result.returncode} without {ok!r}:\n"
            f"{result.stdout}\n{result.stderr}",
            pytrace=False,
        )


def test_python_sdk_works_unchanged() -> None:
    run_check([str(install_python_sdk()), str(SDK_DIR / "py_sdk_check.py")], "python sdk ok")


def test_js_sdk_works_unchanged(js_sdk: tuple[str, Path]) -> None:
    node, modules = js_sdk
    run_check([node, str(SDK_DIR / "js_sdk_check.js")], "js sdk ok", {"NODE_PATH": str(modules)})
