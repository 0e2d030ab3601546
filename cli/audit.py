"""``undersign audit``: verify the chain, sign a checkpoint now, export the whole log, and check an exported log."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from cli.context import DataDirOption, cli_actor, command_services, fail, load_settings
from domain.errors import InvalidInput, UndersignError

app = typer.Typer(help="The tamper-evident audit chain.", no_args_is_help=True)


@app.command("verify")
def verify(
    as_json: bool = typer.Option(False, "--json", help="Print the full result as JSON"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Verify the whole chain against the checkpoints in the object store; exit 1 when it is broken."""
    try:
        with command_services(load_settings(data_dir)) as services:
            result = services.audit().verify()
    except UndersignError as exc:
        raise fail(exc) from exc
    if as_json:
        typer.echo(json.dumps(result.as_dict(), indent=2, sort_keys=True))
    else:
        typer.echo(("OK: " if result.ok else "BROKEN: ") + result.verdict.message)
        typer.echo(f"checkpoints verified from the object store: {result.checkpoints_verified}")
        for problem in result.problems:
            typer.echo(f"checkpoint problem at seq {problem.seq} ({problem.key}): {problem.reason}")
    if not result.ok:
        raise typer.Exit(1)


@app.command("checkpoint")
def checkpoint(data_dir: Path | None = DataDirOption) -> None:
    """Sign the chain head now and file it in the object store under Object Lock."""
    try:
        with command_services(load_settings(data_dir)) as services:
            stored = services.audit().checkpoint(cli_actor())
            if stored is None:  # only_if_changed is off here, so a checkpoint is always signed
                raise typer.Exit(1)
            typer.echo(f"Signed seq {stored.seq} ({stored.signed.statement.hash}) -> {stored.blob.key}")
    except UndersignError as exc:
        raise fail(exc) from exc


@app.command("export-log")
def export_log(
    out: Path = typer.Argument(..., dir_okay=False, help="Where to write the whole-log bundle (.zip)"),
    data_dir: Path | None = DataDirOption,
) -> None:
    """Sign the chain head now and write every event and signed tree head to a zip an outside auditor can check."""
    if out.exists():
        raise fail(InvalidInput(f"{out} already exists; name a new file so that no earlier export is overwritten"))
    partial = out.with_name(out.name + ".part")
    try:
        with command_services(load_settings(data_dir)) as services, partial.open("wb") as target:
            for piece in services.audit().export_log(cli_actor()):
                target.write(piece)
    except UndersignError as exc:
        partial.unlink(missing_ok=True)
        raise fail(exc) from exc
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.rename(out)
    import zipfile

    from cryptography import x509

    from domain.audit import certificate_fingerprint
    from domain.audit.bundle import CERTIFICATE

    with zipfile.ZipFile(out) as archive:
        fingerprint = certificate_fingerprint(x509.load_pem_x509_certificate(archive.read(CERTIFICATE)))
    typer.echo(f"Wrote {out}. Give the auditor, by another channel, the certificate fingerprint {fingerprint};")
    typer.echo(f"they check the file with: undersign audit verify-log {out.name} --cert-sha256 {fingerprint}")


@app.command("verify-log")
def verify_log(
    bundle: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="A whole-log bundle (.zip)"),
    cert_sha256: str | None = typer.Option(
        None, "--cert-sha256", help="SHA-256 of the service certificate you trust (from the operator, out of band)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON"),
) -> None:
    """Check an exported whole-log bundle offline (no database, no settings); exit 1 when anything fails."""
    import zipfile

    from domain.audit.log_bundle_check import check_log_bundle

    try:
        with zipfile.ZipFile(bundle) as archive:
            verdict = check_log_bundle(archive, trusted_cert_sha256=cert_sha256)
    except zipfile.BadZipFile as exc:
        raise fail(InvalidInput(f"{bundle} is not a zip file: {exc}")) from exc
    except UndersignError as exc:
        raise fail(exc) from exc
    if as_json:
        chain = verdict.chain
        typer.echo(
            json.dumps(
                {
                    "ok": verdict.ok,
                    "message": verdict.message,
                    "certificate_sha256": verdict.certificate_sha256,
                    "tree_heads": verdict.tree_heads,
                    "events": chain.checked if chain else 0,
                    "first_bad_seq": chain.first_bad_seq if chain else None,
                },
                indent=2,
                sort_keys=True,
            )
        )
    else:
        typer.echo(("OK: " if verdict.ok else "BROKEN: ") + verdict.message)
        typer.echo(f"signed by certificate sha256 {verdict.certificate_sha256}; {verdict.tree_heads} tree head(s)")
        if cert_sha256 is None:
            typer.echo("certificate not pinned: pass --cert-sha256 with the fingerprint the operator gave you")
    if not verdict.ok:
        raise typer.Exit(1)
