"""Response schemas of the HTTP API (request bodies reuse the domain models)."""
