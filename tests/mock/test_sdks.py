"""The official SDKs, unchanged, against the mock served over HTTP (create, publish, poll,
history). They need environments this project does not install, so each check runs only
when pointed at one:

* ``CHANNELS_MOCK_PY_SDK``: a Python (<= 3.7) with ``syncano==5.4.6`` installed;
* ``CHANNELS_MOCK_JS_SDK``: a ``node_modules`` directory holding ``syncano@1.0.30``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.mock.test_cli import KEY, served

SDK_DIR = Path(__file__).with_name("sdk")
PY_SDK = os.environ.get("CHANNELS_MOCK_PY_SDK")
JS_SDK = os.environ.get("CHANNELS_MOCK_JS_SDK")


@pytest.mark.skipif(not PY_SDK, reason="CHANNELS_MOCK_PY_SDK is not set")
def test_python_sdk_works_unchanged() -> None:
    with served("--account-key", KEY, "--poll-timeout", "5", "--quiet") as server:
        result = subprocess.run(
            [str(PY_SDK), str(SDK_DIR / "py_sdk_check.py"), server.url, KEY],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "python sdk ok" in result.stdout


@pytest.mark.skipif(
    not JS_SDK or not shutil.which("node"),
    reason="CHANNELS_MOCK_JS_SDK is not set (or node is missing)",
)
def test_js_sdk_works_unchanged() -> None:
    with served("--account-key", KEY, "--poll-timeout", "5", "--quiet") as server:
        result = subprocess.run(
            ["node", str(SDK_DIR / "js_sdk_check.js"), server.url, KEY],
            capture_output=True,
            text=True,
            timeout=120,
            env={**os.environ, "NODE_PATH": str(JS_SDK)},
        )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "js sdk ok" in result.stdout
