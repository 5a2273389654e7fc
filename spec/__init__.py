"""The machine-readable description of the Channels v1.1 API, and loaders for it.

Both the mock server and the conformance suite read the spec through this module, so the
shapes and requirement ids they use cannot drift apart.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import yaml

SPEC_DIR = Path(__file__).resolve().parent
SCHEMA_DIR = SPEC_DIR / "schemas"
OPENAPI_PATH = SPEC_DIR / "openapi.yaml"
REQUIREMENTS_PATH = SPEC_DIR / "requirements.yaml"


@cache
def openapi() -> dict[str, Any]:
    """The OpenAPI 3.1 document as a dict."""
    return yaml.safe_load(OPENAPI_PATH.read_text(encoding="utf-8"))


@cache
def requirements() -> dict[str, dict[str, Any]]:
    """Every numbered requirement, keyed by its id (e.g. ``PUB-004``)."""
    data = yaml.safe_load(REQUIREMENTS_PATH.read_text(encoding="utf-8"))
    return {item["id"]: item for item in data["requirements"]}
