"""Single sign-on with OpenID Connect against a real local provider (PyPI ``oidc-provider-mock`` on a free port).

The browser is sent to the provider, the person is chosen on the provider's own form (as a person
would click "authorize"), and the provider's redirect back carries a real authorization code that
the console exchanges for a signed ID token over HTTP. Only invited users of the allowed domain
get in; a forged ``state`` gets nothing.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from oidc_provider_mock import User, run_server_in_thread
from pydantic import SecretStr
from sqlalchemy import select

from domain.roles import Role
from storage.tables import audit_events
from tests.api.console.conftest import Browser
from tests.support.console import create_user
from undersign.runtime import Runtime
from undersign.settings import Settings

PEOPLE = [
    User(sub="sam-1", claims={"email": "sam@msp.example", "email_verified": True, "name": "Sam Sales"}),
    User(sub="eve-1", claims={"email": "eve@other.example", "email_verified": True}),
    User(sub="new-1", claims={"email": "new@msp.example", "email_verified": True}),
    User(sub="unv-1", claims={"email": "sam@msp.example", "email_verified": False}),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A local OpenID Connect provider over plain HTTP on loopback; it requires a nonce."""
    # The provider library refuses plain HTTP unless told this is a test; undersign itself does not ask.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    with run_server_in_thread(port=_free_port(), require_nonce=True, user_claims=PEOPLE) as server:
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def settings(settings: Settings, provider: str) -> Settings:
    """Single sign-on set up against the local provider, for addresses of msp.example only."""
    oidc = settings.console.oidc.model_copy(
        update={
            "issuer": provider,
            "client_id": "undersign-console",
            "client_secret": SecretStr("not-a-real-secret"),
            "allowed_domain": "msp.example",
            "label": "Microsoft 365",
        }
    )
    return settings.model_copy(update={"console": settings.console.model_copy(update={"oidc": oidc})})


def through_provider(client: Any, subject: str) -> httpx.Response:
    """Start single sign-on, choose ``subject`` on the provider's form, and follow the redirect back."""
    start = client.get("/console/sign-in/sso", follow_redirects=False)
    assert start.status_code == 303, start.text
    authorize = start.headers["location"]
    query = dict(httpx.URL(authorize).params)
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    with httpx.Client() as idp:
        assert idp.get(authorize).status_code == 200
        chosen = idp.post(authorize, data={"sub": subject}, follow_redirects=False)
    assert chosen.status_code in (302, 303), chosen.text
    back = urlsplit(chosen.headers["location"])
    assert back.path == "/console/sign-in/sso/callback"
    response: httpx.Response = client.get(f"{back.path}?{back.query}", follow_redirects=False)
    return response


def sign_in_events(runtime: Runtime) -> list[Any]:
    """Return the payloads of every recorded sign-in."""
    with runtime.engine.connect() as conn:
        rows = conn.execute(select(audit_events.c.payload).where(audit_events.c.action == "user.signed_in")).all()
    return [row[0] for row in rows]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestSingleSignOn:
    def test_an_invited_user_signs_in_through_the_provider(self, runtime: Runtime, browser: Browser) -> None:
        """The sign-in page offers the provider; its verified ID token signs the invited user in."""
        create_user(runtime, "sam@msp.example", [Role.SALES], name="Sam Sales")
        client = browser()
        assert "Sign in with Microsoft 365" in client.get("/console/sign-in").text
        done = through_provider(client, "sam-1")
        assert done.status_code == 303 and done.headers["location"] == "/console", done.text
        assert "Welcome, Sam Sales" in client.get("/console").text
        assert sign_in_events(runtime)[-1]["method"] == "single sign-on"

    def test_only_invited_verified_addresses_of_the_domain_get_in(self, runtime: Runtime, browser: Browser) -> None:
        """Another domain, an address nobody invited and an unverified address are all refused."""
        create_user(runtime, "sam@msp.example", [Role.SALES])
        other = through_provider(browser(), "eve-1")
        assert other.status_code == 403 and "Only msp.example accounts" in other.text
        stranger = through_provider(browser(), "new-1")
        assert stranger.status_code == 403 and "Ask an administrator to invite you" in stranger.text
        unverified = through_provider(browser(), "unv-1")
        assert unverified.status_code == 401 and "did not confirm your e-mail address" in unverified.text
        assert sign_in_events(runtime) == []

    def test_a_callback_with_a_forged_state_signs_nobody_in(self, runtime: Runtime, browser: Browser) -> None:
        """A code delivered to a browser that did not start this sign-in (wrong state) is refused."""
        create_user(runtime, "sam@msp.example", [Role.SALES])
        victim = browser()
        victim.get("/console/sign-in/sso", follow_redirects=False)
        forged = victim.get("/console/sign-in/sso/callback?code=stolen&state=guessed", follow_redirects=False)
        assert forged.status_code == 400
        assert victim.get("/console", follow_redirects=False).status_code == 303
        assert sign_in_events(runtime) == []
