"""Reference mock of the Syncano v1.1 Channels API (``channels-mock serve``)."""
