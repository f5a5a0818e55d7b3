"""Creating a conversation over HTTPS (CHATHUB.md §1)."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import aiohttp

from ..errors import (
    AccessDenied,
    ChallengeRequired,
    ConnectionClosed,
    NotAuthorized,
    ProtocolError,
    RateLimited,
    RequestRefused,
    ResponseTimeout,
    ServerError,
    ServiceError,
    truncate,
)
from ..protocol import ResultValue, Style, error_for_result
from .config import host_of
from .conversation import Conversation

__all__ = ["ENCRYPTED_SIGNATURE_HEADER", "SIGNATURE_HEADER", "create_conversation", "parse_create"]

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Sydney-Conversationsignature"
ENCRYPTED_SIGNATURE_HEADER = "X-Sydney-Encryptedconversationsignature"


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: too rare here to be worth parsing


def error_for_status(status: int, headers: Mapping[str, str]) -> ServiceError | None:
    """The exception for a failed HTTP status of the create request, ``None`` for 200."""
    if status == 200:
        return None
    retry_after = _retry_after(headers)
    text = f"conversation create failed with HTTP {status}"
    if status in (404, 429):
        return RateLimited(text, status=status, retry_after=retry_after)
    if status == 401:
        return NotAuthorized(text, status=status)
    if status == 403:
        return AccessDenied(text, status=status)
    if status >= 500:
        return ServerError(text, status=status, retry_after=retry_after)
    return RequestRefused(text, status=status)


def parse_create(
    status: int, headers: Mapping[str, str], body: str, *, style: Style = Style.PRECISE
) -> Conversation:
    """Turn a create response into a :class:`Conversation`, or raise the fitting error.

    Accepts both shapes: the signature in the JSON body (2023) or in the ``X-Sydney-*`` headers
    (Oct 2023+). Pure, so both shapes and every failure are testable without a server.
    """
    error = error_for_status(status, headers)
    if error is not None:
        raise error
    data = _json_body(body)
    result = data.get("result")
    if isinstance(result, dict):
        value = result.get("value")
        if value is not None and value != ResultValue.SUCCESS:
            raise error_for_result(str(value), str(result.get("message") or ""))
    conversation_id = data.get("conversationId")
    client_id = data.get("clientId")
    if not isinstance(conversation_id, str) or not conversation_id:
        raise RequestRefused("conversation create returned no conversationId")
    if not isinstance(client_id, str) or not client_id:
        raise RequestRefused("conversation create returned no clientId")
    # A signature in the body (2023) travels inside the invocation; one only in the headers
    # (Oct 2023+) means the websocket needs the encrypted one as its access token.
    body_signature = data.get("conversationSignature")
    signature = body_signature or headers.get(SIGNATURE_HEADER)
    encrypted = None if body_signature else headers.get(ENCRYPTED_SIGNATURE_HEADER)
    if not signature and not encrypted:
        raise NotAuthorized("conversation create returned no conversation signature")
    return Conversation(
        conversation_id=conversation_id,
        client_id=client_id,
        signature=str(signature) if signature else None,
        encrypted_signature=encrypted or None,
        style=style,
    )


def _json_body(body: str) -> dict[str, Any]:
    stripped = body.strip()
    if not stripped:
        raise ChallengeRequired("conversation create returned an empty body")
    if stripped.startswith("<"):
        raise ChallengeRequired(
            "conversation create returned a web page (a challenge) instead of JSON"
        )
    try:
        data = json.loads(stripped)
    except ValueError:
        raise ProtocolError(
            f"conversation create returned a body that is not JSON: {truncate(stripped, 80)!r}"
        ) from None
    if not isinstance(data, dict):
        raise ProtocolError("conversation create returned JSON that is not an object")
    return data


async def create_conversation(
    session: aiohttp.ClientSession,
    url: str,
    *,
    headers: Mapping[str, str],
    total_timeout: float,
    style: Style = Style.PRECISE,
    proxy: str | None = None,
) -> Conversation:
    """``GET`` the create URL and return the new conversation (one attempt, no retry)."""
    try:
        async with session.get(
            url,
            headers=dict(headers),
            timeout=aiohttp.ClientTimeout(total=total_timeout),
            proxy=proxy,
            allow_redirects=True,
        ) as response:
            body = await response.text(errors="replace")
            status, response_headers = response.status, response.headers
    except TimeoutError:
        raise ResponseTimeout(f"conversation create timed out after {total_timeout:g}s") from None
    except aiohttp.ClientError as exc:
        raise ConnectionClosed(
            f"conversation create could not reach {host_of(url)}: {type(exc).__name__}"
        ) from None
    conversation = parse_create(status, response_headers, body, style=style)
    log.debug("created conversation %s", conversation.conversation_id)
    return conversation
