"""The shortcuts of the hot path decide as the slow paths do: the compiled validator
(jsonschema-rs) accepts only what ``jsonschema`` accepts, and ``parse_json`` skips its walk
only over text that cannot break its rules."""

from __future__ import annotations

import random

import pytest

import spec
from mock_server import validation
from mock_server.parsing import BodyParseError, check_json_value, may_break_rules, parse_json

REQUEST_SCHEMAS = [
    name
    for name in spec.schema_names()
    if name.endswith(("-request.json", "-query.json", "-create.json", "-update.json"))
]
TRICKY_VALUES = [
    "", " ", "a", " A ", "x" * 129, "x" * 1001, "\u3000b\u3000", "1", "1.0", " 2 ", "-3", "1_0",
    "٣", "abc\n", "\n", "true", "0", "101", "asc", "DESC", "{}", '{"a":1}', "[1]", "nope", 0, 1,
    -1, 1.5, True, False, None, [], [1], {}, {"a": 1}, "\x00", "𝟎", "websocket", "\ud800",
]  # fmt: skip
JSON_ATOMS = [
    "{", "}", "[", "]", '"a"', ":", ",", "1", "1.5", "1e400", "NaN", " ", "\ufeff", '"\\ud800"',
    '"\\u00e9"', '"é"', "\\", '"', "12345678901234567890123", "null",
]  # fmt: skip


@pytest.mark.parametrize("name", REQUEST_SCHEMAS)
def test_the_compiled_validator_accepts_only_what_jsonschema_accepts(name: str) -> None:
    chosen = random.Random(name)
    keys = [*validation.fields(name), "other"]
    checker = validation._validator(name)
    for _ in range(1500):
        instance = {
            k: chosen.choice(TRICKY_VALUES)
            for k in chosen.sample(keys, chosen.randint(0, len(keys)))
        }
        if validation._known_valid(name, instance):
            assert not list(checker.iter_errors(instance)), instance


def test_parse_json_skips_its_walk_only_where_nothing_could_fail_it() -> None:
    chosen = random.Random(7)
    for _ in range(20000):
        text = "".join(chosen.choice(JSON_ATOMS) for _ in range(chosen.randint(0, 8)))
        try:
            value = parse_json(text)
        except BodyParseError:
            continue
        if not may_break_rules(text):
            check_json_value(value)  # raises if the skipped walk would have refused it
    deep = "[" * 200 + "]" * 200
    assert may_break_rules(deep)
    with pytest.raises(BodyParseError):
        parse_json(deep)
