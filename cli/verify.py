"""``undersign verify FILE``: is this PDF one of our sealed records, intact, and which one.

Uses the deployment's sealing certificate as the trust root (and the configured TSA roots), and,
when the database is reachable, compares the file with the sealed copy on record. Exit code 0 when
everything checks out, 1 otherwise.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cli.context import DataDirOption, command_runtime, load_settings
from domain.errors import UndersignError


def verify(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The PDF to check"),
    data_dir: Path | None = DataDirOption,
    as_json: bool = typer.Option(False, "--json", help="Print the full verdict as JSON"),
) -> None:
    """Check a sealed PDF: ours, intact, whole file, envelope and signers, equal to the stored copy."""
    from sqlalchemy.exc import SQLAlchemyError

    from services.verification import VerificationService
    from storage.database import unit_of_work
    from undersign.service_factory import ServiceFactory

    settings = load_settings(data_dir)
    data = file.read_bytes()
    with command_runtime(settings) as runtime:
        try:
            with unit_of_work(runtime.sessions) as session:
                verdict = ServiceFactory(session, runtime).verification().verify(data)
        except (SQLAlchemyError, UndersignError):
            # Without the database the seal itself can still be checked; the stored-copy answer stays unknown.
            kit = runtime.kit
            verdict = VerificationService(
                signed=None, envelopes=None, trust_roots=kit.key.trust_roots(), tsa_roots=kit.tsa_roots
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
