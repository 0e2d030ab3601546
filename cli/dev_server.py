"""The development server: uvicorn in this process, stopped in order by Ctrl+C or SIGTERM.

uvicorn re-raises the signal that stopped it once it has shut down, which ends the process with a
KeyboardInterrupt traceback before our own clean-up (the embedded object store) has run. Here a
signal only asks the server to stop; the caller's ``finally`` then stops the store, and the command
exits normally.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

import uvicorn

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _OrderlyServer(uvicorn.Server):
    """A uvicorn server whose stop signals end ``serve`` without being raised again afterwards."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Route Ctrl+C and SIGTERM to ``handle_exit`` while serving; restore the previous handlers after."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in _STOP_SIGNALS}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def serve_app(import_path: str, *, host: str, port: int) -> None:
    """Serve the ASGI app named by ``import_path`` until a stop signal; the app's lifespan runs in full."""
    # proxy_headers=False: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1, and signer IPs
    # are evidence; forwarded headers are judged by settings.server.trusted_proxies only.
    # Logging is structlog's (configured by the command); our access line replaces uvicorn's.
    config = uvicorn.Config(import_path, host=host, port=port, proxy_headers=False, log_config=None, access_log=False)
    _OrderlyServer(config).run()
