"""Evidence bundles exported through the API pass the standalone verifier, and fail it after any change."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from domain.actor import SYSTEM
from domain.audit import certificate_fingerprint
from domain.documents import SignedDocument
from domain.roles import Role
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from storage.signed_document_repository import SqlSignedDocumentRepository
from tests.api.test_audit import events, make_clients
from tests.api.test_documents import sample
from tests.conftest import Api
from undersign.runtime import Runtime
from undersign.settings import REPO_ROOT

VERIFIER = REPO_ROOT / "tools" / "verify_audit_chain.py"
SEALED = b"%PDF-1.7\n% a sealed letter stand-in\n" + bytes(range(256)) + b"\n%%EOF\n"


def signed_envelope(api: Api, runtime: Runtime) -> str:
    """File a letter, put a 'sealed' PDF in the store, record it signed and sealed; return the envelope id."""
    (client_id,) = make_clients(api, 1)
    created = api.post(
        "/v1/documents",
        role=Role.TECH,
        json={
            "template": "waivers/decline-of-service",
            "client_id": client_id,
            "variables": sample("waivers/decline-of-service", "mfa-ra-2026-0042"),
        },
    )
    assert created.status_code == 201, created.text
    document_id = created.json()["id"]
    blob = runtime.blob_store.put(f"sealed/{document_id}/v1.pdf", SEALED, content_type="application/pdf")
    with unit_of_work(runtime.sessions) as session:
        SqlSignedDocumentRepository(session).add(
            SignedDocument(
                envelope_id="ENV-2026-0001",
                document_id=document_id,
                version=1,
                client_id=client_id,
                template_id="waivers/decline-of-service",
                signed_at=runtime.clock.now() - timedelta(minutes=1),
                sealed=blob,
            )
        )
        SqlAuditTrail(session, runtime.clock).record(
            SYSTEM,
            "document.sealed",
            {"envelope": "ENV-2026-0001", "document": document_id},
            document_sha256=hashlib.sha256(SEALED).hexdigest(),
        )
    return client_id


def verify_file(path: Path, fingerprint: str) -> subprocess.CompletedProcess[str]:
    """Run the standalone verifier on a bundle."""
    return subprocess.run(
        [sys.executable, str(VERIFIER), str(path), "--cert-sha256", fingerprint],
        capture_output=True,
        text=True,
        check=False,
    )


class TestEvidenceBundle:
    def test_bundle_verifies_standalone_and_any_changed_byte_fails(
        self, api: Api, runtime: Runtime, tmp_path: Path
    ) -> None:
        """The auditor's export is accepted by tools/verify_audit_chain.py; a flipped byte is rejected."""
        client_id = signed_envelope(api, runtime)
        response = api.get("/v1/evidence/ENV-2026-0001.zip", role=Role.AUDITOR)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/zip"
        bundle = tmp_path / "bundle.zip"
        bundle.write_bytes(response.content)
        names = set(zipfile.ZipFile(io.BytesIO(response.content)).namelist())
        assert {"manifest.json", "README.txt", "events.jsonl", "checkpoints.jsonl", "verification.json"} <= names
        sealed = [n for n in names if n.startswith("documents/")]
        assert len(sealed) == 1
        assert zipfile.ZipFile(bundle).read(sealed[0]) == SEALED
        fingerprint = certificate_fingerprint(runtime.service_key.certificate)
        result = verify_file(bundle, fingerprint)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "VERDICT: VALID" in result.stdout

        unpacked = tmp_path / "unpacked"
        zipfile.ZipFile(bundle).extractall(unpacked)
        target = unpacked / sealed[0]
        data = bytearray(target.read_bytes())
        data[20] ^= 0x01
        target.write_bytes(bytes(data))
        assert verify_file(unpacked, fingerprint).returncode == 1

        # The export (and the auditor's read) are in the chain; the client-wide export works too.
        assert events(api, "action=evidence.exported")["items"][0]["subjects"]["envelope"] == "ENV-2026-0001"
        by_client = api.get(f"/v1/evidence?client_id={client_id}")
        assert by_client.status_code == 200
        (tmp_path / "client.zip").write_bytes(by_client.content)
        assert verify_file(tmp_path / "client.zip", fingerprint).returncode == 0

    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_unknown_envelope_is_404(self, api: Api) -> None:
        """An envelope with nothing signed is a 404 problem."""
        assert api.get("/v1/evidence/ENV-NONE.zip").status_code == 404
