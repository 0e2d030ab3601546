"""A real test PKI on loopback: a CA with a CRL and an OCSP responder, a seal certificate and a TSA.

certomancer (the PKI test tool pyHanko itself uses) builds the certificates from a configuration
and serves the CRL, OCSP and RFC 3161 time-stamping endpoints as a WSGI app, which runs here in a
thread on a free port. The seal certificate names those endpoints (CRL distribution point,
OCSP in its authority information access), so a B-LT seal must really fetch and embed them.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from certomancer.integrations.animator import Animator, AnimatorArchStore
from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig, ServiceLabel
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

ARCH = "undersign-test"
PKCS12_PASSWORD = "a-test-pkcs12-password"
_VALIDITY = {"valid-from": "2020-01-01T00:00:00+0000", "valid-to": "2100-01-01T00:00:00+0000"}


def _key_usage(*names: str) -> dict[str, Any]:
    return {"id": "key_usage", "critical": True, "smart-value": {"schema": "key-usage", "params": list(names)}}


_REVOCATION = [
    {
        "id": "crl_distribution_points",
        "smart-value": {"schema": "crl-dist-url", "params": {"crl-repo-names": ["root"]}},
    },
    {
        "id": "authority_information_access",
        "smart-value": {"schema": "aia-urls", "params": {"ocsp-responder-names": ["root"]}},
    },
]


def _config(prefix: str) -> dict[str, Any]:
    keys = {name: {"path": f"{name}.key.pem"} for name in ("root", "seal", "tsa", "ocsp")}
    return {
        "external-url-prefix": prefix,
        "keysets": {"keys": {"keys": keys}},
        "pki-architectures": {
            ARCH: {
                "keyset": "keys",
                "entity-defaults": {"country-name": "CA", "organization-name": "undersign test PKI"},
                "entities": {
                    "root": {"common-name": "undersign test root CA"},
                    "seal": {"common-name": "undersign test document seal"},
                    "tsa": {"common-name": "undersign test TSA"},
                    "ocsp": {"common-name": "undersign test OCSP responder"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": _VALIDITY,
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
                        ],
                    },
                    "seal": {
                        "issuer": "root",
                        "validity": _VALIDITY,
                        "extensions": [
                            _key_usage("digital_signature", "non_repudiation"),
                            {
                                "id": "extended_key_usage",
                                "value": ["1.3.6.1.5.5.7.3.36", "email_protection"],
                            },
                            *_REVOCATION,
                        ],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": _VALIDITY,
                        "extensions": [
                            _key_usage("digital_signature"),
                            {"id": "extended_key_usage", "critical": True, "value": ["time_stamping"]},
                            *_REVOCATION,
                        ],
                    },
                    "ocsp": {
                        "issuer": "root",
                        "validity": _VALIDITY,
                        "extensions": [
                            _key_usage("digital_signature"),
                            {"id": "extended_key_usage", "critical": True, "value": ["ocsp_signing"]},
                            {"id": "ocsp_no_check"},
                        ],
                    },
                },
                "services": {
                    "ocsp": {"root": {"for-issuer": "root", "responder-cert": "ocsp", "signing-key": "ocsp"}},
                    "crl-repo": {
                        "root": {"for-issuer": "root", "signing-key": "root", "simulated-update-schedule": "P30D"}
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@dataclass
class ServedPki:
    """Where the running test PKI is and what it issued."""

    tsa_url: str
    root_pem: Path
    seal_pkcs12: Path
    requests: list[str]
    # Path fragments (like "/ocsp/") the server answers with 503, to make one service fail.
    refused: set[str]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def served_pki(directory: Path) -> Iterator[ServedPki]:
    """Generate the PKI under ``directory`` and serve its CRL, OCSP and TSA on loopback for the block."""
    keys = directory / "keys"
    keys.mkdir(parents=True)
    for name in ("root", "seal", "tsa", "ocsp"):
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        (keys / f"{name}.key.pem").write_bytes(pem)
    port = _free_port()
    config = CertomancerConfig(_config(f"http://127.0.0.1:{port}"), key_search_dir=str(keys))
    arch = config.get_pki_arch(ArchLabel(ARCH))
    animator = Animator(AnimatorArchStore({arch.arch_label: arch}), with_web_ui=False)
    requests: list[str] = []

    refused: set[str] = set()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path = str(environ.get("PATH_INFO", ""))
        requests.append(path)
        if any(part in path for part in refused):
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"refused by the test"]
        return animator(environ, start_response)

    root_pem = directory / "roots.pem"
    root_der = arch.get_cert(CertLabel("root")).dump()
    root_pem.write_bytes(x509.load_der_x509_certificate(root_der).public_bytes(serialization.Encoding.PEM))
    seal_p12 = directory / "seal.p12"
    seal_p12.write_bytes(
        arch.package_pkcs12(CertLabel("seal"), certs_to_embed=[CertLabel("root")], password=PKCS12_PASSWORD.encode())
    )
    server: WSGIServer = make_server("127.0.0.1", port, app, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="test-pki", daemon=True)
    thread.start()
    try:
        yield ServedPki(
            tsa_url=arch.service_registry.get_tsa_info(ServiceLabel("tsa")).url,
            root_pem=root_pem,
            seal_pkcs12=seal_p12,
            requests=requests,
            refused=refused,
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
