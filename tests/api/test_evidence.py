"""Evidence bundles of real envelopes: signed through the signing forms, exported, checked by the one-file verifier."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from domain.audit import certificate_fingerprint
from domain.roles import Role
from tests.api.envelope_support import code_from, drawn_png, link_for, mails_to, post_form, send_msa
from tests.api.test_clients import client_body
from tests.api.test_documents import create_msa, sample
from tests.api.test_risk_signing import APPROVER_EMAIL, send_letter
from tests.api.test_risks import create_letter, only_risk
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.settings import REPO_ROOT, Settings

VERIFIER = REPO_ROOT / "tools" / "verify_audit_chain.py"
CLIENT_A, MSP = "dana@northwind.example", "sam@msp.example"
CLIENT_B = "bo@contoso-b.example"
BROWSER_A = "Mozilla/5.0 (ClientA-Laptop) Firefox/140.0"
BROWSER_B = "Mozilla/5.0 (ClientB-Desk) Edge/140.0"


@pytest.fixture
def smtp() -> Iterator[LoopbackSmtpServer]:
    """A real SMTP server on loopback that keeps every message."""
    server = LoopbackSmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer) -> Settings:
    """The shared settings, mailing through the loopback SMTP server."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    return settings.model_copy(update={"mail": mail})


def open_with_code(api: Api, smtp: LoopbackSmtpServer, address: str, browser: str) -> str:
    """Consent, ask for the one-time code, read it from the mail and enter it; return the signing path."""
    path = link_for(smtp, address)
    headers = {"User-Agent": browser}
    consent = post_form(
        api,
        f"{path}/consent",
        data={"agree": "yes", "version": "esign-consent-2"},
        headers=headers,
        follow_redirects=False,
    )
    assert consent.status_code == 303, consent.text
    assert post_form(api, f"{path}/code/send", headers=headers).status_code == 200
    mail = mails_to(smtp, address)[-1]
    page = post_form(api, f"{path}/code", data={"code": code_from(mail)}, headers=headers)
    assert page.status_code == 200 and 'id="sign-form"' in page.text, page.text
    image = api.client.get(f"{path}/pages/0.png", headers=headers)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    return path


def sign(api: Api, path: str, browser: str, *, name: str, title: str, drawn: bool) -> None:
    """Submit the signing form as the signer's browser would."""
    form = {"full_name": name, "title": title, "attest": "yes", "method": "drawn" if drawn else "typed"}
    if drawn:
        form["signature"] = "data:image/png;base64," + base64.b64encode(drawn_png()).decode()
    signed = post_form(api, f"{path}/sign", data=form, headers={"User-Agent": browser})
    assert signed.status_code == 200 and "you have signed" in signed.text, signed.text


def clean_verifier(bundle: Path, fingerprint: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the verifier with the standard library and only ``cryptography`` (no site-packages, no undersign)."""
    import cffi  # noqa: F401 - located only to copy next to cryptography
    import cryptography

    only = tmp_path / "only-cryptography"
    if not only.exists():
        only.mkdir()
        site = Path(cryptography.__file__).parent.parent
        for entry in site.iterdir():
            if entry.name.startswith(("cryptography", "cffi", "_cffi_backend", "pycparser")):
                (only / entry.name).symlink_to(entry)
    boot = (
        "import sys, runpy; sys.path.insert(0, sys.argv[1]); sys.argv = sys.argv[2:]; "
        "runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", boot, str(only), str(VERIFIER), str(bundle), "--cert-sha256", fingerprint],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )


def unpack(data: bytes, folder: Path) -> Path:
    """Extract a zip into ``folder``."""
    zipfile.ZipFile(io.BytesIO(data)).extractall(folder)
    return folder


def two_signer_msa(api: Api, smtp: LoopbackSmtpServer) -> dict[str, Any]:
    """Client A's MSA with OTP, signed by the client (typed) and the MSP (drawn) through the forms."""
    envelope = send_msa(api, otp=True)
    path = open_with_code(api, smtp, CLIENT_A, BROWSER_A)
    sign(api, path, BROWSER_A, name="Dana Wu", title="Office Manager", drawn=False)
    path = open_with_code(api, smtp, MSP, BROWSER_A)
    sign(api, path, BROWSER_A, name="Sam Provider", title="Director", drawn=True)
    done = api.get(f"/v1/envelopes/{envelope['id']}", role=Role.AUDITOR).json()
    assert done["status"] == "completed", done
    return done


def declined_by_b(api: Api, smtp: LoopbackSmtpServer) -> dict[str, Any]:
    """Client B refuses to sign its MSA, from its own browser."""
    body = client_body(
        legal_name="Contoso Bakery Inc.",
        short_name="Contoso",
        billing_email="ap@contoso-b.example",
        primary_contact={"name": "Bo Berg", "title": "Owner", "email": CLIENT_B},
    )
    client = api.post("/v1/clients", json=body)
    assert client.status_code == 201, client.text
    document = create_msa(api, client.json()["id"], sample("msa/msa", "us-tx-monthly"))
    assert document.status_code == 201, document.text
    signers = [{"name": "Bo Berg", "email": CLIENT_B, "title": "Owner", "role": "client", "order": 1}]
    created = api.post(
        "/v1/envelopes",
        role=Role.SALES,
        json={"document_id": document.json()["id"], "version": 1, "signers": signers},
    )
    assert created.status_code == 201, created.text
    envelope: dict[str, Any] = created.json()
    path = link_for(smtp, CLIENT_B)
    headers = {"User-Agent": BROWSER_B}
    consented = post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}, headers=headers)
    assert consented.status_code == 200, consented.text
    declined = post_form(api, f"{path}/decline", data={"reason": "We keep our old backups."}, headers=headers)
    assert declined.status_code == 200, declined.text
    return envelope


class TestRealEnvelopeBundle:
    def test_signed_envelope_bundle_passes_the_clean_verifier_and_any_changed_byte_fails(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer, tmp_path: Path
    ) -> None:
        """Two real signers (typed and drawn, OTP on): the bundle verifies outside our venv; one flipped byte fails."""
        envelope = two_signer_msa(api, smtp)
        response = api.get(f"/v1/evidence/{envelope['id']}.zip", role=Role.AUDITOR)
        assert response.status_code == 200, response.text
        fingerprint = certificate_fingerprint(runtime.service_key.certificate)
        bundle = tmp_path / "bundle.zip"
        bundle.write_bytes(response.content)
        result = clean_verifier(bundle, fingerprint, tmp_path)
        assert result.returncode == 0 and "VERDICT: VALID" in result.stdout, result.stdout + result.stderr

        folder = unpack(response.content, tmp_path / "unpacked")
        verdict = json.loads((folder / "verification.json").read_text())
        assert verdict["ok"] is True, verdict
        events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
        sealed = next(e for e in events if e["action"] == "document.sealed")
        sealed_pdf = folder / "documents" / f"{envelope['id']}-sealed.pdf"
        assert sealed["document_sha256"] == hashlib.sha256(sealed_pdf.read_bytes()).hexdigest()
        payloads = [json.loads(line)["payload"] for line in (folder / "payloads.jsonl").read_text().splitlines()]
        assert {"Dana Wu", "Sam Provider"} <= {p.get("name") for p in payloads}
        assert (folder / "documents" / "evidence-summary.pdf").read_bytes().startswith(b"%PDF")
        assert (folder / "disclosure" / "esign-consent-2.txt").exists()
        storage = json.loads((folder / "storage.json").read_text())
        assert {o["retention_mode"] for o in storage["objects"]} == {runtime.settings.s3.retention_mode}

        # One changed byte anywhere fails: in the sealed PDF, in an event, in a payload, in a proof.
        for name in (sealed_pdf.relative_to(folder).as_posix(), "events.jsonl", "payloads.jsonl", "proofs.jsonl"):
            copy = unpack(response.content, tmp_path / f"tampered-{name.replace('/', '-')}")
            target = copy / name
            data = bytearray(target.read_bytes())
            data[len(data) // 2] ^= 0x01
            target.write_bytes(bytes(data))
            assert clean_verifier(copy, fingerprint, tmp_path).returncode == 1, name

    def test_client_bundle_discloses_nothing_of_another_client(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer, tmp_path: Path
    ) -> None:
        """Client A's bundle carries no id, e-mail or browser of client B, and still verifies.

        B's refusal is exported first, so A's bundle also carries the event that filed the tree head
        signed for B's export: it names no client and proves that head was itself chained.
        """
        signed = two_signer_msa(api, smtp)
        refused = declined_by_b(api, smtp)
        assert api.get(f"/v1/evidence/{refused['id']}.zip", role=Role.AUDITOR).status_code == 200
        response = api.get(f"/v1/evidence?client_id={signed['client_id']}", role=Role.AUDITOR)
        assert response.status_code == 200, response.text
        everything = b""
        with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
            for name in archive.namelist():
                if not name.endswith(".pdf"):
                    everything += archive.read(name)
        text = everything.decode()
        for secret in (refused["client_id"], refused["id"], refused["document_id"], CLIENT_B, BROWSER_B):
            assert secret not in text, secret
        assert signed["client_id"] in text and BROWSER_A in text
        assert '"action":"audit.checkpoint_filed"' in text
        bundle = tmp_path / "client.zip"
        bundle.write_bytes(response.content)
        fingerprint = certificate_fingerprint(runtime.service_key.certificate)
        result = clean_verifier(bundle, fingerprint, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "tree head on line 1 of tree-heads.jsonl was recorded in the log" in result.stdout


class TestRefusalBundle:
    def test_declined_envelope_exports_a_sealed_summary_that_verifies(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer, tmp_path: Path
    ) -> None:
        """A refusal to sign is exportable: the bundle verifies and its summary PDF is sealed and says so."""
        refused = declined_by_b(api, smtp)
        response = api.get(f"/v1/evidence/{refused['id']}.zip", role=Role.AUDITOR)
        assert response.status_code == 200, response.text
        folder = unpack(response.content, tmp_path / "refusal")
        fingerprint = certificate_fingerprint(runtime.service_key.certificate)
        result = clean_verifier(folder, fingerprint, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        summary = folder / "documents" / "evidence-summary.pdf"
        raw = subprocess.run(["pdftotext", str(summary), "-"], capture_output=True, text=True, check=True).stdout
        text = " ".join(raw.split())
        assert "refused to sign" in text and "We keep our old backups." in text and "Bo Berg" in text
        signatures = subprocess.run(["pdfsig", str(summary)], capture_output=True, text=True, check=False).stdout
        assert "Signature Validation: Signature is Valid." in signatures
        assert (folder / "documents" / f"{refused['id']}-as-sent.pdf").exists()
        # The sealed refusal record filed at the moment of the decline is in the bundle and its hash is chained.
        record = folder / "documents" / f"{refused['id']}-refusal-record-1.pdf"
        events = [json.loads(line) for line in (folder / "events.jsonl").read_text().splitlines()]
        filed = next(e for e in events if e["action"] == "envelope.refusal_filed")
        assert filed["document_sha256"] == hashlib.sha256(record.read_bytes()).hexdigest()
        checked = subprocess.run(["pdfsig", str(record)], capture_output=True, text=True, check=False).stdout
        assert "Signature Validation: Signature is Valid." in checked

    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_unknown_envelope_is_404(self, api: Api) -> None:
        """An envelope that does not exist is a 404 problem and records nothing."""
        response = api.get("/v1/evidence/ENV-NONE.zip")
        assert response.status_code == 404 and response.headers["content-type"] == "application/problem+json"


class TestRiskBundle:
    def test_refused_risk_letter_exports_the_risk_record_with_proofs(
        self, api: Api, runtime: Runtime, smtp: LoopbackSmtpServer, tmp_path: Path
    ) -> None:
        """The risk record of a refused decline-of-service letter exports, verifies, and shows each transition."""
        client_id = api.post("/v1/clients", json=client_body()).json()["id"]
        document_id = create_letter(api, client_id)
        # A risk letter goes to the approver it names (the MFA sample names Marcus Lee), who refuses it.
        sent = send_letter(api, document_id)
        assert sent.status_code == 201, sent.text
        link = link_for(smtp, APPROVER_EMAIL)
        declined = post_form(api, f"{link}/decline", data={"reason": "MFA slows the front desk."})
        assert declined.status_code == 200
        risk = only_risk(api, client_id)
        response = api.get(f"/v1/evidence/risks/{risk['id']}.zip", role=Role.AUDITOR)
        assert response.status_code == 200, response.text
        folder = unpack(response.content, tmp_path / "risk")
        fingerprint = certificate_fingerprint(runtime.service_key.certificate)
        result = clean_verifier(folder, fingerprint, tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        actions = [json.loads(line)["action"] for line in (folder / "events.jsonl").read_text().splitlines()]
        assert actions[-1] == "evidence.exported" and len(actions) >= 3
        raw = subprocess.run(
            ["pdftotext", str(folder / "documents" / "evidence-summary.pdf"), "-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "refused" in " ".join(raw.split())
