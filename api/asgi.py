"""The ASGI application of ``undersign serve`` and ``undersign dev`` workers.

Importing this module builds nothing: the app's lifespan reads the settings from the environment
and builds the runtime when the server starts, and closes it when the server stops.
"""

from __future__ import annotations

from api.app import create_app

app = create_app()
