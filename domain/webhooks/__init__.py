"""Webhooks: which events are announced, how deliveries are retried, which targets are allowed."""
