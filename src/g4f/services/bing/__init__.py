"""Bing's 2023 ChatHub (the seed's service; switched off by Microsoft in late 2024): its
dialect (create over HTTPS, the invocation, the reader of its records, the result table), the
user's cookies and :class:`BingClient`."""

from .client import BingClient
from .constants import ContentOrigin, MessageType, ResultValue
from .cookies import ENV_COOKIES, Cookies
from .dialect import ENV_URL, BingDialect, Endpoints, error_for_status, parse_create
from .invocation import Locale, build_invocation, option_sets_for
from .reader import TurnReader
from .results import error_for_result

__all__ = [
    "ENV_COOKIES",
    "ENV_URL",
    "BingClient",
    "BingDialect",
    "ContentOrigin",
    "Cookies",
    "Endpoints",
    "Locale",
    "MessageType",
    "ResultValue",
    "TurnReader",
    "build_invocation",
    "error_for_result",
    "error_for_status",
    "option_sets_for",
    "parse_create",
]
