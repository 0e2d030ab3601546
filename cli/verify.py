"""``undersign verify FILE``: is this PDF one of our sealed records, intact, and which one.

Uses the deployment's sealing certificate as the trust root (and the configured TSA roots), and,
when the database is reachable, compares the file with the sealed copy on record. Exit code 0 when
everything checks out, 1 otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from cryptography import x509
from sqlalchemy.exc import SQLAlchemyError

from adapters.clock import SystemClock
from adapters.signing_kit import load_sealing_key
from cli.context import DataDirOption, database_session, load_settings
from domain.errors import UndersignError
from services.verification import VerificationService
from storage.envelope_repository import SqlEnvelopeRepository
from storage.signed_document_repository import SqlSignedDocumentRepository


def verify(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The PDF to check"),
    data_dir: Path | None = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the full verdict as JSON"),
) -> None:
    """Check a sealed PDF: ours, intact, whole file, envelope and signers, equal to the stored copy."""
    settings = load_settings(data_dir)
    data = file.read_bytes()
    key = load_sealing_key(settings, SystemClock().now())
    tsa_roots: tuple[x509.Certificate, ...] = ()
    if settings.signing.tsa_roots_path is not None:
        tsa_roots = tuple(x509.load_pem_x509_certificates(settings.signing.tsa_roots_path.read_bytes()))
    try:
        with database_session(settings) as session:
            verdict = VerificationService(
                signed=SqlSignedDocumentRepository(session),
                envelopes=SqlEnvelopeRepository(session),
                trust_roots=key.trust_roots(),
                tsa_roots=tsa_roots,
            ).verify(data)
    except (SQLAlchemyError, UndersignError):
        # Without the database the seal itself can still be checked; the stored-copy answer stays unknown.
        verdict = VerificationService(
            signed=None, envelopes=None, trust_roots=key.trust_roots(), tsa_roots=tsa_roots
        ).verify(data)
    if as_json:
        typer.echo(json.dumps(verdict, indent=2))
    else:
        typer.echo(f"file:        {file} (sha256 {verdict['file_sha256']})")
        typer.echo(f"verdict:     {'OK' if verdict['ok'] else 'NOT OK'}")
        typer.echo(f"ours/intact: {verdict['ours']}/{verdict['intact']}  whole file: {verdict['covers_whole_file']}")
        typer.echo(
            f"envelope:    {verdict['envelope_id']}  document {verdict['document_id']} v{verdict['document_version']}"
        )
        typer.echo(f"certificate: {verdict['certificate']['subject']}")
        typer.echo(f"sealed at:   {verdict['signing_time']}  timestamp: {verdict['timestamp']['time']}")
        typer.echo(f"stored copy: {verdict['matches_stored_copy']}")
        for signer in verdict["signers"]:
            typer.echo(f"signed by:   {signer['name']} <{signer['email']}> {signer['title']} at {signer['signed_at']}")
        for problem in verdict["problems"]:
            typer.echo(f"problem:     {problem}")
    raise typer.Exit(0 if verdict["ok"] else 1)
