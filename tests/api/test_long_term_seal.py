"""Long-term seals through the real signing flow: PAdES B-LT/B-LTA against a served PKI, and PDF/A-3b kept.

The PKI (CA with CRL and OCSP, seal certificate, TSA) is certomancer's, served on loopback; the
service seals with its PKCS#12 and TSA as a production deployment would. The sealed file is then
checked with pyHanko's AdES long-term validation using only what the file embeds (no fetching),
with poppler's pdfsig and with qpdf, and its PDF/A-3b facts are read back.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    CertValidationPolicySpec,
    PdfSignatureValidationSpec,
    RevinfoOnlineFetchingRule,
    RevocationInfoGatheringSpec,
    SignatureValidationSpec,
)
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator.policy_decl import CertRevTrustPolicy, RevocationCheckingPolicy, RevocationCheckingRule
from pyhanko_certvalidator.registry import SimpleTrustManager
from sqlalchemy import select, update

from domain.roles import Role
from domain.sealing.pdfa import pdfa_facts
from storage.database import unit_of_work
from storage.tables import audit_events, signed_documents
from tests.api.envelope_support import link_for, send_msa
from tests.api.test_envelopes import sign_as, smtp  # noqa: F401 - fixture reused by name
from tests.conftest import Api
from tests.support.pki import PKCS12_PASSWORD, ServedPki, served_pki
from tests.support.smtp import LoopbackSmtpServer
from undersign.jobs import archive_due, envelope_due
from undersign.runtime import Runtime
from undersign.settings import Settings

CLIENT, MSP = "dana@northwind.example", "sam@msp.example"


@pytest.fixture
def pki(tmp_path: Path) -> Iterator[ServedPki]:
    """Certomancer's CA (CRL + OCSP), seal certificate and TSA, served on loopback."""
    with served_pki(tmp_path / "pki") as served:
        yield served


@pytest.fixture
def settings(settings: Settings, smtp: LoopbackSmtpServer, pki: ServedPki) -> Settings:  # noqa: F811
    """Settings of a deployment with a real sealing certificate, a TSA and the TSA's roots."""
    mail = settings.mail.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port, "starttls": False})
    signing = settings.signing.model_copy(
        update={
            "pkcs12_path": pki.seal_pkcs12,
            "pkcs12_password": SecretStr(PKCS12_PASSWORD),
            "tsa_url": pki.tsa_url,
            "tsa_roots_path": pki.root_pem,
        }
    )
    return settings.model_copy(update={"mail": mail, "signing": signing})


def root_of(pki: ServedPki) -> asn1_x509.Certificate:
    """Return the PKI's root as pyHanko wants it."""
    cert = x509.load_pem_x509_certificate(pki.root_pem.read_bytes())
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def offline_policy(pki: ServedPki) -> PdfSignatureValidationSpec:
    """AdES validation that trusts the PKI's root and may use only what the file embeds."""
    policy = CertValidationPolicySpec(
        trust_manager=SimpleTrustManager.build([root_of(pki)]),
        revinfo_policy=CertRevTrustPolicy(
            RevocationCheckingPolicy(
                ee_certificate_rule=RevocationCheckingRule.CRL_OR_OCSP_REQUIRED,
                intermediate_ca_cert_rule=RevocationCheckingRule.CHECK_IF_DECLARED,
            )
        ),
    )
    gathering = RevocationInfoGatheringSpec(online_fetching_rule=RevinfoOnlineFetchingRule.LOCAL_ONLY)
    return PdfSignatureValidationSpec(
        SignatureValidationSpec(cert_validation_policy=policy, revinfo_gathering_policy=gathering)
    )


def sealed_by_signing(api: Api, smtp: LoopbackSmtpServer) -> bytes:  # noqa: F811
    """Sign an MSA (client draws, MSP types) through the signing forms and return the sealed file."""
    envelope = send_msa(api)
    assert sign_as(api, link_for(smtp, CLIENT), drawn=True).status_code == 200
    assert sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director").status_code == 200
    state = api.get(f"/v1/envelopes/{envelope['id']}").json()
    assert state["status"] == "completed", state
    sealed = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf")
    assert sealed.status_code == 200
    return sealed.content


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestLongTermSeal:
    def test_sealed_file_is_b_lta_with_embedded_revocation_data(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
        pki: ServedPki,
        tmp_path: Path,
    ) -> None:
        """The seal validates from embedded OCSP/CRL alone (B-LT) and an archive timestamp covers the file (B-LTA)."""
        pdf = sealed_by_signing(api, smtp)
        assert any("/ocsp/" in path for path in pki.requests) and any("/tsa/" in path for path in pki.requests)
        reader = PdfFileReader(BytesIO(pdf), strict=False)
        (seal,) = reader.embedded_regular_signatures

        # B-LT: revocation data for the seal is in the DSS, and validation succeeds without fetching anything.
        dss = DocumentSecurityStore.read_dss(reader)
        assert dss.ocsps or dss.crls
        offline = dss.as_validation_context(
            {"trust_roots": [root_of(pki)], "allow_fetching": False, "revocation_mode": "require"}
        )
        status = validate_pdf_signature(seal, offline, ts_validation_context=offline)
        assert status.bottom_line, status.pretty_print_details()
        assert status.timestamp_validity is not None and status.timestamp_validity.trusted
        assert status.modification_level is not None and status.modification_level.name == "LTA_UPDATES"

        # B-LTA: the AdES long-term algorithm passes, with a document timestamp as its evidence record.
        result = asyncio.run(ades_lta_validation(seal, offline_policy(pki)))
        assert getattr(result.ades_subindic, "name", None) == "OK", result  # an enum member at run time
        assert result.oldest_evidence_record_timestamp is not None
        (archive,) = reader.embedded_timestamp_signatures
        assert archive.evaluate_signature_coverage() == SignatureCoverageLevel.ENTIRE_FILE

        # pdfsig: the seal's signature is valid; the last signature (the archive timestamp) covers the file.
        path = tmp_path / "sealed.pdf"
        path.write_bytes(pdf)
        home = tmp_path / "home"
        home.mkdir()
        out = subprocess.run(
            ["pdfsig", "-no-ocsp", str(path)], capture_output=True, text=True, env={"HOME": str(home)}, check=False
        ).stdout
        blocks = out.split("Signature #")[1:]
        assert len(blocks) == 2
        assert "UndersignSeal" in blocks[0] and "Signature Validation: Signature is Valid." in blocks[0]
        assert "Total document signed" in blocks[1] and "Not total document signed" not in blocks[1]

        # The service's own verification accepts the LTV updates after the seal.
        verdict = api.post("/v1/verify", role=Role.AUDITOR, files={"file": ("s.pdf", pdf, "application/pdf")})
        assert verdict.status_code == 200, verdict.text
        answer = verdict.json()
        assert answer["ok"] is True and answer["matches_stored_copy"] is True, answer

        # The certificate of completion states the level in words.
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
        assert "PAdES B-LTA" in " ".join(text.split())

    def test_sealed_file_stays_pdf_a_3b(
        self,
        api: Api,
        smtp: LoopbackSmtpServer,  # noqa: F811
        tmp_path: Path,
    ) -> None:
        """After sealing: header, catalog and XMP say PDF 1.7 and PDF/A-3B, the producers agree, /AF lists once."""
        pdf = sealed_by_signing(api, smtp)
        facts = pdfa_facts(pdf)
        assert facts.problems == [], facts
        assert (facts.header_version, facts.catalog_version, facts.pdfa_part) == ("1.7", None, "3")
        assert facts.embedded_files == 1 and facts.af_entries == 1
        assert b"/Version /2.0" not in pdf[pdf.rfind(b"/Type /Catalog") - 2000 :]
        path = tmp_path / "sealed.pdf"
        path.write_bytes(pdf)
        check = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
        assert check.returncode == 0 and "PDF Version: 1.7" in check.stdout, check.stdout + check.stderr


class TestArchiveJob:
    def test_run_due_adds_a_fresh_archive_timestamp_once_due(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
        pki: ServedPki,
    ) -> None:
        """run-due re-archives a due seal: the filed copy extends the old one, still B-LTA offline, recorded once."""
        envelope = send_msa(api)
        sign_as(api, link_for(smtp, CLIENT), drawn=True)
        sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director")
        before = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf").content
        assert archive_due(runtime) == {"archived": 0, "deferred": 0}  # not due yet (90 days before 2100)

        # A deployment that re-archives 80 years ahead finds the copy due now.
        runtime.settings.signing.archive_margin_days = 80 * 366
        with unit_of_work(runtime.sessions) as session:
            session.execute(update(signed_documents).values(archive_due_at=runtime.clock.now()))
        assert archive_due(runtime) == {"archived": 1, "deferred": 0}
        assert archive_due(runtime) == {"archived": 0, "deferred": 0}  # next due is later, not again now

        after = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf").content
        assert after.startswith(before) and len(after) > len(before)
        reader = PdfFileReader(BytesIO(after), strict=False)
        assert len(reader.embedded_timestamp_signatures) == 2
        result = asyncio.run(ades_lta_validation(reader.embedded_regular_signatures[0], offline_policy(pki)))
        assert getattr(result.ades_subindic, "name", None) == "OK", result  # an enum member at run time
        assert pdfa_facts(after).problems == []
        with runtime.engine.connect() as conn:
            (payload,) = conn.execute(
                select(audit_events.c.payload).where(audit_events.c.action == "document.archive_timestamped")
            ).one()
        recorded = payload if isinstance(payload, dict) else json.loads(payload)
        assert recorded["sha256"] == hashlib.sha256(after).hexdigest()
        assert recorded["previous_sha256"] == hashlib.sha256(before).hexdigest()
        answer = api.post("/v1/verify", role=Role.AUDITOR, files={"file": ("s.pdf", after, "application/pdf")})
        assert answer.json()["ok"] is True and answer.json()["matches_stored_copy"] is True

    @pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
    def test_unreachable_revocation_data_defers_the_seal_instead_of_downgrading(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
        pki: ServedPki,
    ) -> None:
        """OCSP and CRL down: nothing is sealed or filed (no silent B-T); once back, run-due seals a B-LTA file."""
        envelope = send_msa(api)
        sign_as(api, link_for(smtp, CLIENT))
        pki.refused.update({"/ocsp/", "/crls/"})
        sign_as(api, link_for(smtp, MSP), name="Sam Provider", title="Director")
        state = api.get(f"/v1/envelopes/{envelope['id']}").json()
        assert state["status"] == "completing" and "revocation" in state["seal_error"], state
        assert api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf").status_code == 404
        pki.refused.clear()
        assert envelope_due(runtime)["sealed"] == 1
        sealed = api.get(f"/v1/envelopes/{envelope['id']}/sealed.pdf").content
        reader = PdfFileReader(BytesIO(sealed), strict=False)
        result = asyncio.run(ades_lta_validation(reader.embedded_regular_signatures[0], offline_policy(pki)))
        assert getattr(result.ades_subindic, "name", None) == "OK", result  # an enum member at run time
