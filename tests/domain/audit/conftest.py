"""Fixtures for the audit tests: signing keys and their self-signed certificates (generated once)."""

from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from .support import self_signed


@pytest.fixture(scope="session")
def ec_key() -> ec.EllipticCurvePrivateKey:
    """A P-256 service key."""
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="session")
def ec_cert(ec_key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    """The self-signed certificate of ``ec_key``."""
    return self_signed(ec_key)


@pytest.fixture(scope="session")
def rsa_key() -> rsa.RSAPrivateKey:
    """A 2048-bit RSA service key."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def rsa_cert(rsa_key: rsa.RSAPrivateKey) -> x509.Certificate:
    """The self-signed certificate of ``rsa_key``."""
    return self_signed(rsa_key, "undersign audit seal (RSA)")
