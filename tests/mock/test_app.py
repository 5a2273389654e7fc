"""The app as SDK developers meet it: isolated apps, mock-only endpoints (spec, docs, reset,
stats), where keys may come from, and the request habits of the official SDKs."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest

import spec
from mock_server.api.mock import VIEWER_FILES
from spec.protocol import DATETIME, request_too_large
from tests.mock.conftest import ACCOUNT_KEY, Mock


def test_apps_side_by_side_share_no_state(make_mock: Callable[..., Mock]) -> None:
    first, second = make_mock(), make_mock()
    first.channel("only-here")
    assert first.call("GET", "channels/only-here/").status_code == 200
    elsewhere = second.call("GET", f"/v1.1/instances/{first.instance}/channels/only-here/")
    assert elsewhere.status_code == 404
    assert first.publish("only-here", {})["id"] == 1
    second.channel("only-here")
    assert second.publish("only-here", {})["id"] == 1


def test_reset_is_for_the_account_key_only_and_clears_everything(mock: Mock) -> None:
    mock.channel("gone")
    assert mock.call("POST", "/__mock__/reset", key=mock.api_key()["api_key"]).status_code == 403
    assert mock.call("POST", "/__mock__/reset", key="").status_code == 403
    assert mock.call("POST", "/__mock__/reset").status_code == 204
    assert mock.call("GET", "channels/").status_code == 404
    assert mock.call("GET", "/v1.1/instances/").status_code == 200


def test_spec_and_docs_are_served_without_outside_assets(mock: Mock) -> None:
    spec = mock.call("GET", "/openapi.yaml", key="")
    assert spec.status_code == 200 and b"openapi:" in spec.data
    assert mock.call("GET", "/openapi.json", key="").get_json()["openapi"].startswith("3.1")
    docs = mock.call("GET", "/docs", key="")
    assert docs.status_code == 200 and docs.mimetype == "text/html"
    assert not re.search(rb"(src|href)=\"(https?:)?//", docs.data)


def test_docs_are_swagger_ui_from_the_installed_package(mock: Mock) -> None:
    bundle = mock.call("GET", "/docs/swagger-ui-bundle.js", key="")
    assert bundle.status_code == 200 and bundle.headers["Vary"] == "Origin"
    assert bundle.data == (VIEWER_FILES / "swagger-ui-bundle.js").read_bytes()
    assert mock.call("GET", "/docs/no-such-file.js", key="").status_code == 404
    document = mock.call("GET", "/docs/openapi.json", key="").get_json()
    assert document["paths"].keys() == spec.openapi()["paths"].keys()
    assert [server["url"] for server in document["servers"]] == ["/"]
    refs = re.findall(r'"\$ref": "([^"]*)"', json.dumps(document))
    assert refs and all(ref.startswith("#/") for ref in refs)
    assert "$id" not in json.dumps(document)


def test_stats_count_parked_polls(mock: Mock) -> None:
    assert mock.call("GET", "/__mock__/stats").get_json() == {"subscriptions": 0}
    assert mock.call("GET", "/__mock__/stats", key="").status_code == 403


@pytest.mark.parametrize("where", ["header", "query", "token", "body"])
def test_the_key_may_come_from_any_documented_place(mock: Mock, where: str) -> None:
    channel = mock.channel("keys")
    path = f"channels/{channel}/publish/"
    if where == "header":
        response = mock.call("POST", path, json={})
    elif where == "query":
        response = mock.call("POST", f"{path}?api_key={ACCOUNT_KEY}", key="", json={})
    elif where == "token":
        response = mock.call(
            "POST", path, key="", headers={"Authorization": f"token {ACCOUNT_KEY}"}, json={}
        )
    else:
        response = mock.call("POST", path, key="", json={"_api_key": ACCOUNT_KEY})
    assert response.status_code == 201
    assert response.get_json()["author"] == {"admin": 1}


@pytest.mark.parametrize("where", ["header", "query", "body"])
def test_the_user_key_may_come_from_any_documented_place(mock: Mock, where: str) -> None:
    channel = mock.channel("users", other_permissions="publish")
    key = mock.api_key()
    user = mock.user()
    path = f"channels/{channel}/publish/"
    if where == "header":
        response = mock.call("POST", path, key["api_key"], user["user_key"], json={})
    elif where == "query":
        response = mock.call("POST", f"{path}?user_key={user['user_key']}", key["api_key"], json={})
    else:
        response = mock.call("POST", path, key["api_key"], json={"_user_key": user["user_key"]})
    assert response.status_code == 201
    assert response.get_json()["author"] == {"api_key": key["id"], "user": user["id"]}


def test_python_sdk_habits(mock: Mock) -> None:
    """Authorization: token, JSON-encoded payload strings, Content-Type on GETs, links and
    created_at with microseconds and Z."""
    token = {"Authorization": f"token {ACCOUNT_KEY}"}
    created = mock.call(
        "POST", "channels/", key="", headers=token, json={"name": "py", "custom_publish": True}
    )
    assert created.status_code == 201
    assert created.get_json()["links"]["publish"] == f"{mock.base}/channels/py/publish/"
    published = mock.call(
        "POST", "channels/py/publish/", key="", headers=token, json={"payload": '{"content": "hi"}'}
    )
    assert published.get_json()["payload"] == {"content": "hi"}
    assert DATETIME.fullmatch(published.get_json()["created_at"])
    history = mock.call(
        "GET", "channels/py/history/", key="", headers=token, content_type="application/json"
    )
    assert history.status_code == 200 and len(history.get_json()["objects"]) == 1


def test_js_sdk_habits(mock: Mock) -> None:
    """{} bodies on GETs, extra fields on create, empty last_id= and room= when unset."""
    created = mock.call(
        "POST",
        "channels/",
        json={
            "name": "js",
            "type": "default",
            "other_permissions": "publish",
            "custom_publish": "true",
            "instanceName": mock.instance,
        },
    )
    assert created.status_code == 201 and created.get_json()["custom_publish"] is True
    message = mock.publish("js", {"a": 1})
    poll = mock.call(
        "GET", "channels/js/poll/?last_id=&room=", data=b"{}", content_type="application/json"
    )
    assert poll.status_code == 204
    stored = mock.call(
        "GET", "channels/js/poll/?last_id=0&room=", data=b"{}", content_type="application/json"
    )
    assert stored.get_json()["id"] == message["id"]


def test_v1_prefix_serves_the_same_api_with_its_own_links(mock: Mock) -> None:
    mock.channel("both")
    response = mock.call("GET", f"/v1/instances/{mock.instance}/channels/both/")
    assert response.status_code == 200
    assert response.get_json()["links"]["self"] == f"/v1/instances/{mock.instance}/channels/both/"


def test_paths_without_trailing_slash_get_the_plain_404_page(mock: Mock) -> None:
    mock.channel("slash")
    response = mock.call("POST", "channels/slash/publish", json={})
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert response.headers["Vary"] == "Origin"


def test_cors_headers_and_preflight(mock: Mock) -> None:
    mock.channel("cors")
    simple = mock.call("GET", "channels/cors/", headers={"Origin": "http://example.org"})
    assert simple.headers["Access-Control-Allow-Origin"] == "*"
    assert simple.headers["Vary"] == "Accept, Origin"
    preflight = mock.call(
        "OPTIONS",
        "channels/cors/publish/",
        key="",
        headers={"Origin": "http://example.org", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200 and preflight.data == b""
    assert "x-api-key" in preflight.headers["Access-Control-Allow-Headers"]


def test_method_not_allowed_comes_after_the_identity_checks(mock: Mock) -> None:
    mock.channel("order")
    assert mock.call("GET", "channels/order/publish/", key="").status_code == 403
    refused = mock.call("GET", "channels/order/publish/")
    assert refused.status_code == 405
    assert refused.get_json() == {"detail": 'Method "GET" not allowed.'}
    assert refused.headers["Allow"] == "POST, OPTIONS"
    exotic = mock.call("PROPFIND", "channels/order/publish/")
    assert exotic.get_json() == {"detail": 'Method "PROPFIND" not allowed.'}


def test_publish_size_gate_comes_before_everything(mock: Mock) -> None:
    body = b'{"payload": {"x": "' + b"a" * 65515 + b'"}}'
    assert len(body) == 65537
    response = mock.call(
        "POST",
        "/v1.1/instances/nope-nope/channels/x/publish/",
        key="",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 413
    assert response.get_json() == {"detail": request_too_large()}
