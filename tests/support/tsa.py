"""A real RFC 3161 timestamp authority on loopback, for tests that seal with a TSA.

pyHanko's ``DummyTimeStamper`` signs the tokens (RSA, as it requires); a small ``http.server``
speaks the RFC 3161 HTTP transport around it (``application/timestamp-query`` in,
``application/timestamp-reply`` out). Tests start it, point ``HTTPTimeStamper`` at ``url``, and stop
it to prove that sealing then fails instead of going ahead without a timestamp.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from asn1crypto import cms, core, tsp
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pyhanko.sign import general
from pyhanko.sign.general import simple_cms_attribute
from pyhanko.sign.timestamps import DummyTimeStamper
from pyhanko_certvalidator.util import get_pyca_cryptography_hash


class _LoadedKeyTimeStamper(DummyTimeStamper):
    """DummyTimeStamper signing with a key loaded once (pyHanko's re-parses the RSA key per token, ~0.1 s)."""

    def __init__(self, key: rsa.RSAPrivateKey, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rsa_key = key

    def _sign_tst_info(self, tst_info_data: bytes, md_algorithm: str, dt: datetime) -> Any:
        signed_attrs = cms.CMSAttributes(
            [
                simple_cms_attribute("content_type", "tst_info"),
                simple_cms_attribute("signing_time", cms.Time({"utc_time": core.UTCTime(dt)})),
                simple_cms_attribute("signing_certificate", general.as_signing_certificate(self.tsa_cert)),
                simple_cms_attribute("message_digest", hashlib.new(md_algorithm, tst_info_data).digest()),
            ]
        )
        hash_algo = get_pyca_cryptography_hash(md_algorithm)
        return self._rsa_key.sign(signed_attrs.dump(), PKCS1v15(), hash_algo), signed_attrs


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "undersign test TSA"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


class TsaIdentity:
    """A TSA root and a timestamping certificate it issued (RSA 2048; the TSA cert has critical timeStamping)."""

    def __init__(self) -> None:
        now = datetime.now(UTC)
        root_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        root_name = _name("undersign test TSA root")
        self.root = (
            x509.CertificateBuilder()
            .subject_name(root_name)
            .issuer_name(root_name)
            .public_key(root_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(root_key, hashes.SHA256())
        )
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(_name("undersign test TSA"))
            .issuer_name(root_name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
            .sign(root_key, hashes.SHA256())
        )

    def timestamper(self) -> DummyTimeStamper:
        """Return a pyHanko DummyTimeStamper signing with this identity's key (embeds the TSA root too)."""

        def asn1(cert: x509.Certificate) -> asn1_x509.Certificate:
            return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))

        key_der = self.key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        return _LoadedKeyTimeStamper(
            self.key,
            tsa_cert=asn1(self.certificate),
            tsa_key=asn1_keys.PrivateKeyInfo.load(key_der),
            certs_to_embed=[asn1(self.root)],
        )


class LocalTsa:
    """An RFC 3161 HTTP timestamp server on 127.0.0.1 that can be started, stopped and made to fail."""

    def __init__(self, identity: TsaIdentity | None = None) -> None:
        self.identity = identity or TsaIdentity()
        self.fail_with_status: int | None = None
        self.requests = 0
        self._stamper = self.identity.timestamper()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    @property
    def url(self) -> str:
        """The URL to POST timestamp queries to (stays the same across stop/start)."""
        if self._port is None:
            raise RuntimeError("the TSA has not been started")
        return f"http://127.0.0.1:{self._port}/tsa"

    def start(self) -> None:
        """Listen (on the same port as before, if it was started earlier) and serve in a thread."""
        tsa = self

        class Handler(BaseHTTPRequestHandler):
            # Headers and body go out in two writes: with Nagle on, delayed ACKs add ~40 ms per token.
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                tsa.requests += 1
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if tsa.fail_with_status is not None:
                    self.send_error(tsa.fail_with_status)
                    return
                if self.headers.get("Content-Type") != "application/timestamp-query":
                    self.send_error(415)
                    return
                reply = tsa._stamper.request_tsa_response(tsp.TimeStampReq.load(body)).dump()
                self.send_response(200)
                self.send_header("Content-Type", "application/timestamp-reply")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, format: str, *args: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", self._port or 0), Handler)
        self._port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-tsa", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket: later queries get "connection refused"."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None


@contextmanager
def running_tsa(identity: TsaIdentity | None = None) -> Iterator[LocalTsa]:
    """Run a :class:`LocalTsa` for the duration of the block."""
    tsa = LocalTsa(identity)
    tsa.start()
    try:
        yield tsa
    finally:
        tsa.stop()
