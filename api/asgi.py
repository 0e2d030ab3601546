"""The ASGI entry point for ``undersign serve`` workers: settings from the environment."""

from __future__ import annotations

from api.app import create_app
from undersign.runtime import build_runtime
from undersign.settings import Settings

_runtime = build_runtime(Settings())
_runtime.ensure_bucket()
app = create_app(_runtime)
