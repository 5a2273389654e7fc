"""The conformance checks: one test module per requirement area, each check marked with the
requirement ids it verifies (``grep -rn PUB-004 conformance/checks`` finds them)."""
