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

__version__ = "0.1.0"

from ._chat_completion import ChatCompletion

__all__ = ["ChatCompletion", "__version__"]
