"""API errors, shaped as the platform shapes them (ERR-001; apps/core/exceptions.py)."""

from __future__ import annotations

from typing import Any

from spec.protocol import (  # noqa: F401  (re-exported: the mock's modules raise these texts)
    BAD_PAGE,
    CHANNEL_NOT_FOUND,
    CUSTOM_PUBLISH_NOT_ALLOWED,
    INSTANCE_NOT_FOUND,
    NO_SUCH_KEY,
    NOT_FOUND,
    PERMISSION_DENIED,
    ROOM_REQUIRED,
    THROTTLED,
    request_too_large,
)


class ApiError(Exception):
    """An error answer: a status, a JSON body and optional extra headers."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def detail(status: int, message: str, **headers: str) -> ApiError:
    """The generic shape ``{"detail": "<message>"}``."""
    extra = {name.replace("_", "-"): value for name, value in headers.items()}
    return ApiError(status, {"detail": message}, extra)


def field_errors(errors: dict[str, list[str]]) -> ApiError:
    """Serializer field errors: one list of messages per field, status 400."""
    return ApiError(400, dict(errors))


def denied() -> ApiError:
    """The generic 403 of a failed permission check."""
    return detail(403, PERMISSION_DENIED)


def not_found(message: str = NOT_FOUND) -> ApiError:
    """A 404 with the given detail."""
    return detail(404, message)


def room_required() -> ApiError:
    """The server exception tied to ``room``: a plain string, not a list."""
    return ApiError(400, {"room": ROOM_REQUIRED})


def method_not_allowed(method: str) -> ApiError:
    """DRF's 405 body; it names the request method (ERR-002)."""
    return detail(405, f'Method "{method}" not allowed.')


def too_large(limit: int) -> ApiError:
    """The request size gate of publish (and a safety cap elsewhere)."""
    return detail(413, request_too_large(limit))


def throttled() -> ApiError:
    """The 429 of a throttled request, with ``Retry-After: 1`` (THR-001)."""
    return detail(429, THROTTLED, Retry_After="1")
