"""The provider modules, one per service, each with the seed's module-level API."""
