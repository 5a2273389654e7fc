"""Benchmarks of the mock and of the conformance suite: ``python -m benchmarks`` prints one
table of rates, latencies and memory, each next to the bare responders (plain WSGI and Flask)
on the same server stack."""
