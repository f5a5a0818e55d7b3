"""Module-level tables are read-only, public names are exported and documented, and a refused
file URL is shown without its query (which may sign it)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from g4f.services.chatapi import body, spec, tokens
from g4f.services.m365 import account, invocation
from g4f.services.m365 import token as m365_token


@pytest.mark.parametrize(
    "table", [invocation.WEB_SEARCH_PLUGIN, spec.HOSTS, account.PLAN_PARAMS], ids=repr
)
def test_module_tables_are_read_only(table: Mapping[Any, Any]) -> None:
    with pytest.raises(TypeError):
        table["x"] = 1  # type: ignore[index]


def test_public_names_are_exported_and_documented() -> None:
    assert "CallableToken" in tokens.__all__
    assert m365_token.unreadable.__doc__


def test_a_refused_file_url_is_shown_without_its_query() -> None:
    url = "http://contoso.sharepoint.com/a.docx?tempauth=s3cr3t-signature#frag"
    with pytest.raises(ValueError, match="https:// URL") as caught:
        body.check_file_url(url)
    assert "s3cr3t" not in str(caught.value) and "tempauth" not in str(caught.value)
    assert "contoso.sharepoint.com/a.docx" in str(caught.value)
