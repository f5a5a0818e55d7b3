"""gpt4free's provider namespace: ``g4f.Provider.Bing`` is the Bing provider module."""

from .Providers import Bing

__all__ = ["Bing"]
