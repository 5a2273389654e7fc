"""pytest plugin of the Channels conformance suite (filled in by the suite issue)."""
