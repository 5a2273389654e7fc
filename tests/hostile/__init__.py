"""Hostile-but-ordinary servers that sit in front of a correct mock and misbehave the way real
deployments do, so the suite's verdicts can be tested against them."""
