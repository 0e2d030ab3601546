"""The ASGI entry point for ``undersign serve`` workers: settings from the environment."""

from __future__ import annotations

from api.app import create_app
from undersign.runtime import build_runtime
from undersign.settings import Settings
from undersign.structured_logging import configure_logging

_settings = Settings()
configure_logging(_settings.log_format, _settings.log.level)
_runtime = build_runtime(_settings)
_runtime.ensure_bucket()
app = create_app(_runtime)
