"""Use cases: load -> domain -> persist -> audit, with ports injected; never commit."""
