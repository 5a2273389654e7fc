"""Benchmarks of the mock and of the conformance suite: ``python -m benchmarks`` prints one
table of rates, latencies and memory, each next to a bare responder on the same server stack."""
