"""CairnError: every failure the client reports, whether the registry answered or not.

An API error keeps the registry's HTTP status, error code, message, details and request id
(quote the id when reporting a problem). A failure with no answer to quote has `status == 0` and
one of the client's own codes below.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Codes the client uses itself (status 0): the registry gave no answer to quote.
NETWORK_ERROR = "NETWORK_ERROR"  # refused, reset or dropped connection: retrying resumes
TIMEOUT = "TIMEOUT"  # no answer within the timeout
BAD_RESPONSE = "BAD_RESPONSE"  # an answer that is not the registry's (a proxy, not Cairn)
USAGE = "USAGE"  # a bad argument, refused before any request (a malformed ref, no URL)
FILE_CHANGED = "FILE_CHANGED"  # a local file changed while it was being hashed or sent
VERIFY_FAILED = "VERIFY_FAILED"  # downloaded bytes that do not hash to their digest
PATH_UNSAFE = "PATH_UNSAFE"  # a manifest path that would be written outside the target
INTERRUPTED = "INTERRUPTED"  # Ctrl-C or a signal stopped a transfer: run it again to resume


class CairnError(Exception):
    """A failed registry operation.

    Attributes:
        status: the HTTP status, or 0 when no answer arrived (or the client refused first).
        code: the API's error code (``TAG_CONFLICT``, ``UNAUTHORIZED``, ...) or a client code.
        message: what went wrong, in words.
        details: the API's ``details`` object (e.g. ``current`` for a ``TAG_CONFLICT``).
        request_id: the ``X-Request-Id`` of the answer, if there was one.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Mapping[str, Any] | None = None,
        request_id: str | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        self.request_id = request_id
        super().__init__(message)

    def __str__(self) -> str:
        rid = f", request id {self.request_id}" if self.request_id else ""
        where = f"{self.status} " if self.status else ""
        return f"{self.message} [{where}{self.code}{rid}]"

    def __repr__(self) -> str:
        return (
            f"CairnError(status={self.status!r}, code={self.code!r}, message={self.message!r}, "
            f"details={self.details!r}, request_id={self.request_id!r})"
        )

    @property
    def is_network(self) -> bool:
        """True when no answer arrived (running the same call again may succeed)."""
        return self.code in (NETWORK_ERROR, TIMEOUT)


def error_from_body(status: int, body: bytes, request_id: str | None, what: str) -> CairnError:
    """The error for a non-2xx answer, whatever its body holds."""
    try:
        parsed = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        parsed = None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        details = error.get("details")
        return CairnError(
            status,
            error["code"],
            str(error.get("message", "")),
            details if isinstance(details, dict) else {},
            error.get("requestId") or request_id,
        )
    # Not the registry's error shape: a proxy, a load balancer, or not a Cairn server at all.
    snippet = " ".join(body[:200].decode("utf-8", "replace").split())
    code = "NOT_FOUND" if status == 404 else BAD_RESPONSE
    return CairnError(
        status, code, f"{what} answered {status}{': ' + snippet if snippet else ''}", {}, request_id
    )


def usage(message: str) -> CairnError:
    return CairnError(0, USAGE, message)
