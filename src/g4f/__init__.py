"""g4f-bing: a client for Bing Chat's ChatHub protocol, with gpt4free's Bing provider API.

The seed's way::

    from g4f.Provider.Providers.Bing import _create_completion

    for token in _create_completion("gpt-4", messages, stream=True):
        print(token, end="")

gpt4free's way::

    import g4f
    text = g4f.ChatCompletion.create(model="gpt-4", messages=messages)

The engine underneath: :mod:`g4f.protocol` (pure protocol core), :mod:`g4f.client` (async
client), :mod:`g4f.hub` (a local server speaking the same protocol). Importing ``g4f`` does no
network or file work.
"""

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["ChatCompletion", "__version__"]

if TYPE_CHECKING:
    from ._chat_completion import ChatCompletion


def __getattr__(name: str) -> Any:
    """``ChatCompletion``, imported on first use: importing a lower layer (``g4f.protocol``,
    ``g4f.hub``) loads no model table, service or client."""
    if name == "ChatCompletion":
        from ._chat_completion import ChatCompletion

        return ChatCompletion
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
