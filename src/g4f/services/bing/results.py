"""From a failed ``result.value`` to the project's exception class. Pure."""

from __future__ import annotations

from ...errors import (
    Busy,
    ChallengeRequired,
    ConversationExpired,
    ConversationInvalid,
    NotAuthorized,
    RateLimited,
    RequestRefused,
    ServiceError,
)
from .constants import ResultValue

__all__ = ["error_for_result"]

_ERRORS: dict[str, type[ServiceError]] = {
    ResultValue.THROTTLED: RateLimited,
    ResultValue.PER_HOUR_THROTTLED: RateLimited,
    ResultValue.CAPTCHA_CHALLENGE: ChallengeRequired,
    ResultValue.UNAUTHORIZED_REQUEST: NotAuthorized,
    ResultValue.INVALID_SESSION: ConversationExpired,
    ResultValue.INVALID_REQUEST: ConversationInvalid,
    ResultValue.PROCESSING_MESSAGE: Busy,
}


def error_for_result(value: str, message: str, *, partial_text: str = "") -> ServiceError:
    """The exception for a non-``Success`` result, carrying the server's message.

    >>> type(error_for_result("Throttled", "Request is throttled.")).__name__
    'RateLimited'
    """
    cls = _ERRORS.get(value, RequestRefused)
    text = f"{value}: {message}" if message else value
    return cls(text, result_value=value, partial_text=partial_text)
