"""Reports of a conformance run: the verdict per requirement, and its JSON, JUnit, HTML and
terminal views, written by the reporting pytest plugin (``conformance.report.plugin``)."""
