"""What the console's dependencies need to know: its cookie names, its CSRF field, and its refusals.

This lives outside ``api.console`` so that ``api.providers`` can use it without importing the
console's pages (which import the dependencies in turn). ``api.console.errors`` turns the refusals
into the sign-in redirect and the console's error page.
"""

from __future__ import annotations

SESSION_COOKIE = "undersign_console"
ANON_CSRF_COOKIE = "undersign_console_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


class ConsoleSignInRequired(Exception):
    """The request needs a signed-in user and has none."""


class ConsoleRefused(Exception):
    """The console refuses the request with ``status`` and a message a person can act on."""

    def __init__(self, message: str, *, status: int = 403, heading: str = "This is not allowed") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.heading = heading
