"""``OidcClient``: sign-in with the MSP's OpenID Connect provider (Microsoft 365, Google Workspace).

The authorization code flow with PKCE (RFC 7636, Authlib's S256 challenge), a ``state`` that ties
the answer to the browser that asked, and a ``nonce`` that ties the ID token to this sign-in. The
ID token is verified with the provider's published keys (JWKS, through ``joserfc``, Authlib's JOSE
library): signature, issuer, audience, expiry and nonce. Only then is its e-mail address believed.

Whether the address is the provider's to vouch for: Google sends ``email_verified``; Microsoft's
ID tokens do not, so an address without that claim is believed only when the deployment limits
sign-in to its own domain (``allowed_domain``) and names its own tenant as the issuer.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
from authlib.common.urls import add_params_to_uri
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from domain.errors import DependencyUnavailable, Unauthenticated

_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384"]
_DISCOVERY_TTL = 3600.0


@dataclass(frozen=True)
class OidcIdentity:
    """Who the provider says signed in: the subject, the address and whether the address is vouched for."""

    subject: str
    email: str
    email_verified: bool
    name: str | None


class OidcClient:
    """One relying party: the issuer, our client id and secret, and where the provider sends people back."""

    def __init__(
        self, issuer: str, client_id: str, client_secret: str, *, timeout: float, allowed_domain: str | None
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self._client_id = client_id
        self._client_secret = client_secret
        self._timeout = timeout
        self._allowed_domain = allowed_domain
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._fetched_at = 0.0

    def _get(self, url: str) -> dict[str, Any]:
        try:
            response = httpx.get(url, timeout=self._timeout, follow_redirects=False)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise DependencyUnavailable(
                "The sign-in provider did not answer. Try again in a minute, or sign in with your password."
            ) from exc
        if not isinstance(data, dict):
            raise DependencyUnavailable("The sign-in provider sent an answer undersign could not read.")
        return data

    def metadata(self) -> dict[str, Any]:
        """Return the provider's discovery document (fetched once an hour)."""
        with self._lock:
            if self._metadata is None or time.monotonic() - self._fetched_at > _DISCOVERY_TTL:
                data = self._get(f"{self.issuer}/.well-known/openid-configuration")
                if str(data.get("issuer", "")).rstrip("/") != self.issuer:
                    raise DependencyUnavailable("The sign-in provider names another issuer than the one configured.")
                self._metadata, self._fetched_at = data, time.monotonic()
            return self._metadata

    def authorization_url(self, redirect_uri: str, *, state: str, nonce: str, code_verifier: str) -> str:
        """Return the provider's sign-in page address for this attempt."""
        endpoint = str(self.metadata()["authorization_endpoint"])
        params = [
            ("response_type", "code"),
            ("client_id", self._client_id),
            ("redirect_uri", redirect_uri),
            ("scope", "openid email profile"),
            ("state", state),
            ("nonce", nonce),
            ("code_challenge", create_s256_code_challenge(code_verifier)),
            ("code_challenge_method", "S256"),
        ]
        if self._allowed_domain:
            # Google shows only accounts of that Workspace domain (other providers ignore the hint).
            params.append(("hd", self._allowed_domain))
        return str(add_params_to_uri(endpoint, params))

    def identity(self, code: str, redirect_uri: str, *, nonce: str, code_verifier: str) -> OidcIdentity:
        """Exchange the authorization code and return the verified identity in its ID token."""
        meta = self.metadata()
        try:
            response = httpx.post(
                str(meta["token_endpoint"]),
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier,
                },
                auth=(self._client_id, self._client_secret),
                timeout=self._timeout,
            )
        except httpx.HTTPError as exc:
            raise DependencyUnavailable("The sign-in provider did not answer. Try again in a minute.") from exc
        if response.status_code != 200:
            raise Unauthenticated("The sign-in provider refused the sign-in. Start again.")
        id_token = response.json().get("id_token")
        if not isinstance(id_token, str):
            raise Unauthenticated("The sign-in provider sent no identity. Start again.")
        keys = KeySet.import_key_set(self._get(str(meta["jwks_uri"])))  # type: ignore[arg-type]
        try:
            token = jwt.decode(id_token, keys, algorithms=_ALGORITHMS)
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self._client_id},
                nonce={"essential": True, "value": nonce},
                exp={"essential": True},
                sub={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as exc:
            raise Unauthenticated("The sign-in could not be verified. Start again.") from exc
        claims = token.claims
        email = claims.get("email") or ""
        verified = claims.get("email_verified")
        if verified is None:
            verified = bool(self._allowed_domain)
        name = claims.get("name")
        return OidcIdentity(
            subject=str(claims["sub"]),
            email=str(email),
            email_verified=verified is True or verified == "true",
            name=str(name) if name else None,
        )
