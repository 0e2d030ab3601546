"""Adapters to the outside world: mail, signing keys, timestamp authority, template files, SeaweedFS."""
