"""Faults of the answers: post-hooks that rewrite an answer on its way out (its body, status
or headers). The app registers the chosen ones after ``finish``, so they run before it."""

from __future__ import annotations

import json

from flask import Response, request
from werkzeug.routing import RequestRedirect

from mock_server.errors import INSTANCE_NOT_FOUND, NOT_FOUND
from mock_server.faults.declare import declare
from mock_server.responses import API_CONTENT_TYPE, render

INSTANCE_NOT_FOUND_BODY = render({"detail": INSTANCE_NOT_FOUND})


# MSG
@declare(
    "links-use-url-channel-name",
    "MSG-007",
    "The publish answer's link spells the channel as the request URL did, not as stored "
    "(lowercase).",
)
def links_use_url_channel_name(response: Response) -> Response:
    if request.endpoint != "messages.publish" or response.status_code != 201:
        return response
    spelled = request.view_args["channel"] if request.view_args else ""
    message = json.loads(response.get_data())
    link = message["links"]["self"]
    message["links"]["self"] = link.replace(
        f"/channels/{spelled.lower()}/", f"/channels/{spelled}/", 1
    )
    response.set_data(render(message))
    return response


# ERR
@declare(
    "method-not-allowed-wording",
    "ERR-002",
    'A method a channel route does not map is answered 405 "Method Not Allowed" (the '
    "framework's wording) instead of naming the method.",
)
def method_not_allowed_wording(response: Response) -> Response:
    if response.status_code == 405:
        response.set_data(render({"detail": "Method Not Allowed"}))
    return response


@declare(
    "missing-slash-redirect",
    "ERR-004",
    "A channel route without its trailing slash is redirected (308) to the slash URL "
    "instead of answering 404.",
)
def missing_slash_redirect(response: Response) -> Response:
    redirect = request.routing_exception
    if response.status_code == 404 and isinstance(redirect, RequestRedirect):
        return redirect.get_response(request.environ)
    return response


@declare(
    "instance-not-found-wording",
    "ERR-008",
    'An unknown instance is answered 404 "Not found." instead of "Instance was not found.".',
)
def instance_not_found_wording(response: Response) -> Response:
    if response.status_code == 404 and response.get_data() == INSTANCE_NOT_FOUND_BODY:
        response.set_data(render({"detail": NOT_FOUND}))
    return response


# THR
@declare(
    "throttle-without-retry-after",
    "THR-001",
    "A throttled request is answered 429 without the Retry-After header.",
)
def throttle_without_retry_after(response: Response) -> Response:
    if response.status_code == 429:
        response.headers.pop("Retry-After", None)
    return response


# GEN
@declare(
    "error-content-type-html",
    "GEN-002",
    "Error answers keep the framework's default Content-Type, text/html, around their JSON body.",
)
def error_content_type_html(response: Response) -> Response:
    if response.status_code >= 400 and response.content_type == API_CONTENT_TYPE:
        response.content_type = "text/html; charset=utf-8"
    return response
