"""``undersign templates list|check`` and ``undersign render``: the template library from a shell.

``templates list`` prints a table of the library; ``templates check`` renders every sample of every
template to PDF and DOCX (``TemplateLibrary.check``) and reports Jinja tags split across Word runs,
unknown or unused variables and samples that fail, exiting 1 when any error is found (warnings are
printed but do not fail). ``render TEMPLATE data.json -o out.pdf`` (or ``out.docx``) renders one
document in this process with the MSP branding from settings and a sample client; nothing is stored.
Every bad input is reported with each offending field (JSON pointer and reason) and exit code 1.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from cli.context import fail, load_settings
from domain.errors import FieldError, InvalidInput, UndersignError

if TYPE_CHECKING:
    from rich.table import Table

    from adapters.template_library import TemplateLibrary
    from domain.assembly.lint import LintIssue
    from domain.documents import FileFormat
    from undersign.settings import Settings

app = typer.Typer(help="The template library: list and check templates.", no_args_is_help=True)

TemplatesDirOption = typer.Option(
    None, "--templates-dir", help="Template library folder (default: UNDERSIGN_TEMPLATES_DIR or ./templates)"
)


def _settings() -> Settings:
    return load_settings(None)


def _library(settings: Settings, templates_dir: Path | None) -> TemplateLibrary:
    from adapters.template_library import TemplateLibrary

    root = templates_dir or settings.templates_dir
    if not root.is_dir():
        typer.secho(f"error: no template library at {root}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2)
    return TemplateLibrary(root)


@app.command("list")
def list_templates(templates_dir: Path | None = TemplatesDirOption) -> None:
    """List every template: id, version, kind, title, clause files and samples."""
    from rich.console import Console
    from rich.table import Table

    library = _library(_settings(), templates_dir)
    try:
        manifests = library.list()
        sample_counts = {m.id: len(library.samples(m.id)) for m in manifests}
    except UndersignError as exc:
        raise fail(exc) from exc
    table = Table("id", "version", "kind", "title", "clauses", "samples", title=f"Templates in {library.root}")
    for manifest in manifests:
        table.add_row(
            manifest.id,
            manifest.version,
            manifest.kind,
            manifest.title,
            str(len(manifest.clauses)),
            str(sample_counts[manifest.id]),
        )
    Console(width=160).print(table)


def _issue_table(issues: list[LintIssue]) -> Table:
    from rich.table import Table

    table = Table("severity", "template / file", "where", "problem", title="templates check")
    for issue in sorted(issues, key=lambda i: (i.severity != "error", i.template, i.where)):
        colour = "red" if issue.severity == "error" else "yellow"
        table.add_row(f"[{colour}]{issue.severity}[/{colour}]", issue.template, issue.where, issue.message)
    return table


@app.command("check")
def check(
    templates_dir: Path | None = TemplatesDirOption,
    max_pages: int | None = typer.Option(
        None, "--max-pages", help="Page budget (default: UNDERSIGN_RENDER__MAX_PAGES)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON lines instead of a table"),
) -> None:
    """Render every template's samples and lint the library; exit 1 if any error is found."""
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    settings = _settings()
    library = _library(settings, templates_dir)
    ids = library.ids()
    console = Console(stderr=True)
    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True
    ) as progress:
        progress.add_task(f"Rendering the samples of {len(ids)} templates to PDF and DOCX", total=None)
        issues = library.check(max_pages=max_pages or settings.render.max_pages)
    errors = [i for i in issues if i.severity == "error"]
    if as_json:
        for issue in issues:
            typer.echo(json.dumps(issue.as_dict(), ensure_ascii=False))
    elif issues:
        Console(width=200).print(_issue_table(issues))
    summary = f"{len(ids)} templates checked: {len(errors)} error(s), {len(issues) - len(errors)} warning(s)."
    typer.secho(summary, fg=typer.colors.RED if errors else typer.colors.GREEN, err=True)
    if errors:
        raise typer.Exit(1)


def _read_variables(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InvalidInput(
            f"cannot read {path}: {exc.strerror}", errors=[FieldError(str(path), "not readable")]
        ) from None
    except UnicodeDecodeError:
        raise InvalidInput(f"{path} is not UTF-8", errors=[FieldError(str(path), "not UTF-8 text")]) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidInput(
            f"{path} is not valid JSON",
            errors=[FieldError(str(path), f"line {exc.lineno} column {exc.colno}: {exc.msg}")],
        ) from None


def _output_format(output: Path) -> FileFormat:
    from domain.documents import FileFormat

    fmt = {".pdf": FileFormat.PDF, ".docx": FileFormat.DOCX}.get(output.suffix.lower())
    if fmt is None:
        raise InvalidInput(
            f"cannot tell the format of {output.name}",
            errors=[FieldError("--output", "the file name must end in .pdf or .docx")],
        )
    return fmt


def render(
    template: str = typer.Argument(..., help="Template id, e.g. msa/msa or notices/reminder"),
    data: Path = typer.Argument(..., help="JSON file with the template's variables"),
    output: Path = typer.Option(..., "--output", "-o", help="Where to write the file: .pdf or .docx"),
    document_date: datetime | None = typer.Option(
        None, "--date", formats=["%Y-%m-%d"], help="Date printed on the document (default: today)"
    ),
    templates_dir: Path | None = TemplatesDirOption,
) -> None:
    """Render one document here (branding from settings, a sample client); nothing is stored."""
    from adapters.renderers import InlineRenderer
    from domain.assembly.context import AssemblyContext, DocumentRef, sample_context
    from domain.render_job import RenderJob
    from undersign.branding import branding_from_settings

    settings = _settings()
    library = _library(settings, templates_dir)
    try:
        fmt = _output_format(output)
        variables = _read_variables(data)
        when = document_date.date() if document_date else date.today()
        context = AssemblyContext(
            branding=branding_from_settings(settings),
            client=sample_context(variables).client,
            document=DocumentRef(
                id="DRAFT", version=1, date=when, created_at=datetime.combine(when, datetime.min.time(), tzinfo=UTC)
            ),
        )
        job = RenderJob(
            template_id=template,
            variables=variables,
            context=context,
            formats=(fmt,),
            max_pages=settings.render.max_pages,
        )
        result = InlineRenderer(library).render(job)
    except UndersignError as exc:
        raise fail(exc) from exc
    output.write_bytes(result.files[fmt])
    pages = f"{result.page_count} page(s) as PDF"
    typer.echo(f"Wrote {output} ({fmt.value.upper()}, {pages}, template {template} {result.template_version}).")
