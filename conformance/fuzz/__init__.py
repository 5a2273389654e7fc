"""Generated checks: requests generated from spec/openapi.yaml (``explore``), each exchange
judged per GEN requirement (``judging``), input read with the spec's own validators
(``spec_input``)."""
