"""Page parameters as the platform reads them (apps/core/pagination.py,
apps/redis_storage/pagination.py): Python's int() syntax, a 32-bit id range for the channel
list's last_pk, any integer for history's, and the platform's cursor bounds."""

from __future__ import annotations

from typing import Any

import pytest

from tests.mock.conftest import Mock

PAGE = {"detail": "Incorrect page parameter provided."}
OBSERVED_LAST_PK = "+1_43_0_4_97_954_7"  # 14304979547: refused by the platform (GEN-006)


def listed(mock: Mock, path: str, **query: str) -> tuple[int, Any]:
    """GET a list with a query string (values percent-encoded as UTF-8)."""
    response = mock.call("GET", path, query_string=query)
    return response.status_code, response.get_json()


def ids(body: dict[str, Any], key: str = "id") -> list[Any]:
    return [item[key] for item in body["objects"]]


@pytest.fixture
def chat(mock: Mock) -> list[int]:
    """A channel with three messages; their ids, oldest first."""
    mock.channel("chat")
    return [mock.publish("chat", {"n": n})["id"] for n in range(3)]


@pytest.mark.parametrize("last_pk", [OBSERVED_LAST_PK, " 1_43_0_4_97_954_7", "2147483648", "-1"])
def test_channel_list_last_pk_outside_the_id_range_is_refused(mock: Mock, last_pk: str) -> None:
    assert listed(mock, "channels/", last_pk=last_pk) == (400, PAGE)
    assert listed(mock, "channels/", direction="1", last_pk=last_pk) == (400, PAGE)


def test_raw_plus_in_the_query_reads_as_a_space(mock: Mock) -> None:
    response = mock.call("GET", f"channels/?last_pk={OBSERVED_LAST_PK}")
    assert (response.status_code, response.get_json()) == (400, PAGE)


@pytest.mark.parametrize("last_pk", ["2147483647", " +0_002_147_483_647 ", "-0", "\u0660"])
def test_channel_list_last_pk_inside_the_id_range_is_read(mock: Mock, last_pk: str) -> None:
    everything = ids(listed(mock, "channels/")[1], "name")
    status, body = listed(mock, "channels/", direction="1", last_pk=last_pk)
    assert status == 200
    assert ids(body, "name") == ([] if last_pk.strip().endswith("7") else everything)


def test_channel_list_backward_from_last_pk_zero_is_empty(mock: Mock) -> None:
    """pk < 0 matches no row (the cursor applies whenever direction is given)."""
    status, body = listed(mock, "channels/", direction="0", last_pk="0")
    assert (status, body["objects"]) == (200, [])


def test_history_last_pk_is_any_integer(mock: Mock, chat: list[int]) -> None:
    url = "channels/chat/history/"
    assert ids(listed(mock, url, last_pk=OBSERVED_LAST_PK)[1]) == chat[::-1]
    assert ids(listed(mock, url, last_pk="9" * 5000)[1]) == chat[::-1]
    assert listed(mock, url, last_pk="-5") == (200, {"next": None, "prev": None, "objects": []})
    assert ids(listed(mock, url, last_pk=str(chat[2]), ordering="ASC")[1]) == []


def test_history_last_pk_one_lists_from_the_newest(mock: Mock, chat: list[int]) -> None:
    """Newest first, last_pk=1 sets the upper bound 0, which the platform's any() merge drops;
    last_pk=0 sets -1, an empty page."""
    url = "channels/chat/history/"
    assert ids(listed(mock, url, last_pk="1")[1]) == chat[::-1]
    assert ids(listed(mock, url, direction="1", last_pk="0")[1]) == []


@pytest.mark.parametrize(
    ("page_size", "count"),
    [("\u0662", 2), (" +0_2\u3000", 2), ("\U0001d7d0", 2), ("-0", 0), ("1" + "0" * 5000, 3)],
)
def test_page_size_is_read_like_int(
    mock: Mock, chat: list[int], page_size: str, count: int
) -> None:
    status, body = listed(mock, "channels/chat/history/", page_size=page_size)
    assert (status, len(body["objects"])) == (200, count)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page_size", "\U0001e142"),  # a digit of Unicode 12, unknown to the platform's Python
        ("page_size", "\x1c2"),  # U+001C is whitespace to str.strip(), not to int()
        ("page_size", "-\u0661"),
        ("direction", " +_1"),
        ("direction", "\u0662"),
        ("direction", ""),
        ("last_pk", "1__0"),
    ],
)
def test_what_int_refuses_is_the_page_parameter_error(
    mock: Mock, chat: list[int], name: str, value: str
) -> None:
    assert listed(mock, "channels/chat/history/", **{name: value}) == (400, PAGE)
    assert listed(mock, "channels/", **{name: value}) == (400, PAGE)


@pytest.mark.parametrize("direction", [" +0_1 ", "\U0001d7cf", "-0"])
def test_direction_is_read_like_int(mock: Mock, chat: list[int], direction: str) -> None:
    status, body = listed(mock, "channels/chat/history/", direction=direction)
    assert status == 200
    assert ids(body) == chat[::-1]  # backward without last_pk is the newest page too
