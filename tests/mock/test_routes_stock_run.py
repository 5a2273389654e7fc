"""Mock behaviour the stock schemathesis run found wanting (issue 13, item 2): the 405 of the
mock's own routes, and the data-class list's cursor."""

from __future__ import annotations

import pytest

from tests.mock.conftest import Mock


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("TRACE", "/__mock__/stats", "GET, HEAD, OPTIONS"),
        ("TRACE", "/openapi.json", "GET, HEAD, OPTIONS"),
        ("DELETE", "/openapi.yaml", "GET, HEAD, OPTIONS"),
        ("GET", "/__mock__/reset", "POST, OPTIONS"),
    ],
)
def test_mock_routes_refuse_other_methods_with_allow(
    mock: Mock, method: str, path: str, allow: str
) -> None:
    """RFC 9110 asks a 405 to name the methods the resource supports."""
    response = mock.call(method, path)
    assert response.status_code == 405
    assert response.headers["Allow"] == allow
    assert response.get_json() == {"detail": f'Method "{method}" not allowed.'}


def test_api_routes_still_run_their_checks_before_the_405(mock: Mock) -> None:
    """A view answers an unknown method itself, after the instance lookup (ERR-003)."""
    assert mock.call("PROPFIND", "/v1.1/instances/nope-1/channels/").status_code == 404


def test_a_path_without_its_slash_is_not_routed_for_any_method(mock: Mock) -> None:
    """ERR-004: the router's HTML 404, an unknown method included."""
    response = mock.call("PROPFIND", "/v1.1/instances")
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_class_list_pages_through_every_class(mock: Mock) -> None:
    """Classes have no id in the store; next links must still walk every class once."""
    made = [f"items_{n}" for n in range(3)]
    for name in made:
        mock.created("classes/", {"name": name, "schema": [{"name": "t", "type": "string"}]})
    seen: list[str] = []
    url: str | None = f"{mock.base}/classes/?page_size=1"
    while url:
        response = mock.call("GET", url)
        assert response.status_code == 200, response.get_json()
        page = response.get_json()
        seen += [item["name"] for item in page["objects"]]
        url = page["next"]
    assert seen[-3:] == made
    assert len(seen) == len(set(seen))
