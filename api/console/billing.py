"""The billing pages: invoices, CSV import, the dunning overview and chart, approvals, tomorrow's preview.

An import lists each refused line with its reason; the overview is a table and an SVG chart of overdue
amounts by step; a dry run shows what tomorrow's run would send.

The import goes through ``InvoiceImporter.invoices`` (the same loop as ``undersign invoices import``),
approvals through ``DunningService.approve``/``reject``, phone tasks through ``mark_task_done``/
``reopen_task``, and the preview through the ladder run in
dry-run mode, so the console can do nothing the API would refuse.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console.charts import Bar, bar_chart_svg
from api.console.views import redraw_refused, render
from api.console.wording import status_words
from api.deps import (
    ClientServiceDep,
    ConsoleDunningApprover,
    ConsoleDunningPlanner,
    ConsoleForm,
    ConsoleInvoiceWriter,
    ConsoleUser,
    DunningRunnerDep,
    DunningServiceDep,
    InvoiceImporterDep,
    InvoiceServiceDep,
    RuntimeDep,
    SessionDep,
)
from domain.accounting_exports import ExportFormat, parse_invoices
from domain.csv_lines import decode_lines
from domain.dunning.records import StepStatus
from domain.errors import FieldError, InvalidInput, UndersignError
from domain.invoices import InvoiceStatus
from domain.money import format_amount
from domain.text import text_problem
from services.dunning import TASK_NOTE_FIELD

router = APIRouter(prefix="/billing", include_in_schema=False)

MAX_UPLOAD = 5 * 1024 * 1024
NOTE_LIMIT = 2000
# Refusals answered on the page with their own status: a step that is gone, already decided, or bad input.
KEPT = (404, 409, 422)
STEP_WORDS = {
    "email_reminder": "E-mail reminder",
    "phone_task": "Phone call",
    "official_notice": "Official notice",
    "final_notice": "Final notice",
    "suspension": "Suspension of services",
    "collections_referral": "Referral to collections",
    "letter_before_action": "Letter before action",
}
NO_STEP = "No notice yet"


def step_words(kind: str) -> str:
    """Return a ladder step kind in plain words."""
    return STEP_WORDS.get(kind, kind.replace("_", " "))


@router.get("", response_class=HTMLResponse)
def home(
    request: Request,
    user: ConsoleUser,
    invoices: InvoiceServiceDep,
    clients: ClientServiceDep,
    runtime: RuntimeDep,
    state: Annotated[InvoiceStatus | None, Query()] = None,
    cursor: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The invoices, filtered by the state they are in today, and the CSV import form."""
    page = invoices.search(client_id=None, status=state, limit=50, after=cursor)
    names = {c: clients.get(c).legal_name for c in {i.client_id for i in page.items}}
    return render(
        request,
        "billing/home.html",
        user,
        page=page,
        names=names,
        state=state.value if state else "",
        states=[s.value for s in InvoiceStatus],
        today=runtime.clock.now().date(),
        format_amount=format_amount,
        formats=[f.value for f in ExportFormat],
    )


@router.post("/invoices/import", response_class=HTMLResponse)
def import_invoices(
    request: Request,
    user: ConsoleInvoiceWriter,
    importer: InvoiceImporterDep,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    fmt: Annotated[str, Form(alias="format", max_length=20)] = "undersign",
    currency: Annotated[str, Form(max_length=3)] = "",
) -> Response:
    """Import the uploaded CSV (at most 5 MB): good rows go in, each refused line is listed with its reason."""
    name = "billing/_import_result.html" if request.headers.get("hx-request") else "billing/import_result.html"
    data = file.file.read(MAX_UPLOAD + 1)
    try:
        if len(data) > MAX_UPLOAD:
            raise InvalidInput("The file is larger than 5 MB; split it and import the parts.")
        if not data.strip():
            raise InvalidInput("The file is empty; choose the CSV export to import.")
        try:
            export_format = ExportFormat(fmt)
        except ValueError as exc:
            raise InvalidInput("Choose the kind of export: undersign, quickbooks or xero.") from exc
        lines = decode_lines(data)
        parsed = parse_invoices(lines.text(), export_format, currency=currency.strip().upper() or None)
    except UndersignError as exc:
        return render(
            request, name, user, status_code=status.HTTP_422_UNPROCESSABLE_CONTENT, report=None, message=exc.detail
        )
    report = importer.invoices(user, parsed.rows, session.begin_nested, [*lines.bad, *parsed.errors])
    return render(request, name, user, report=report, message=None)


def _chart(overview: list[tuple[Any, str]]) -> list[tuple[str, str, list[Bar]]]:
    """Return one chart per currency: the overdue amount of the clients at each step of the ladder."""
    totals: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for view, _name in overview:
        step = step_words(view.current_step.kind.value) if view.current_step else NO_STEP
        for currency, minor in view.overdue_minor.items():
            totals[currency][step] += minor
    order = [NO_STEP, *STEP_WORDS.values()]
    charts = []
    for currency in sorted(totals):
        bars = [
            Bar(label=step, value=minor, shown=format_amount(minor, currency))
            for step, minor in sorted(
                totals[currency].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99
            )
        ]
        chart_id = f"overdue-{currency.lower()}"
        svg = bar_chart_svg(bars, title=f"Overdue amounts in {currency} by step reached", chart_id=chart_id)
        charts.append((currency, svg, bars))
    return charts


@router.get("/dunning", response_class=HTMLResponse)
def dunning_page(request: Request, user: ConsoleUser, dunning: DunningServiceDep, runtime: RuntimeDep) -> Response:
    """Where each client stands on the ladder (table and chart) and the steps waiting for approval."""
    return _dunning_page(request, user, dunning, runtime)


def _dunning_page(
    request: Request,
    user: Any,
    dunning: Any,
    runtime: Any,
    *,
    status_code: int = 200,
    problems: dict[str, str] | None = None,
    message: str | None = None,
    done: str | None = None,
) -> Response:
    today = runtime.clock.now().date()
    overview = dunning.overview(today)
    approvals = [(record, invoice) for record, invoice in dunning.approvals(200)]
    calls = dunning.tasks(StepStatus.OPEN, 200)
    made = dunning.tasks(StepStatus.DONE, 200)
    return render(
        request,
        "billing/dunning.html",
        user,
        status_code=status_code,
        overview=overview,
        charts=_chart(overview),
        approvals=approvals,
        calls=calls,
        made=made,
        today=today,
        tomorrow=today + timedelta(days=1),
        format_amount=format_amount,
        step_words=step_words,
        problems=problems or {},
        message=message,
        done=done or request.query_params.get("done"),
    )


@router.post("/approvals/{step_id}/{decision}", response_class=HTMLResponse)
def decide(
    request: Request,
    step_id: str,
    decision: str,
    user: ConsoleDunningApprover,
    form: ConsoleForm,
    dunning: DunningServiceDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Response:
    """Approve (the notice is filed and mailed today; a suspension takes effect today) or reject a step."""
    note = form.get("note", "").strip() or None
    try:
        if note is not None and (
            problem := text_problem(note, multi_line=True)
            or (f"at most {NOTE_LIMIT} characters" if len(note) > NOTE_LIMIT else None)
        ):
            raise InvalidInput("The note cannot be used as it is.", errors=[FieldError(f"note-{step_id}", problem)])
        if decision == "approve":
            dunning.approve(user, step_id, note)
        elif decision == "reject":
            dunning.reject(user, step_id, note)
        else:
            raise InvalidInput("Approve or reject.", errors=[FieldError("decision", "approve or reject")])
    except UndersignError as exc:
        return redraw_refused(session, exc, partial(_dunning_page, request, user, dunning, runtime), keep=KEPT)
    return RedirectResponse(f"/console/billing/dunning?done={decision}", status_code=status.HTTP_303_SEE_OTHER)


@router.post("/tasks/{step_id}/{action}", response_class=HTMLResponse)
def change_task(
    request: Request,
    step_id: str,
    action: str,
    user: ConsoleDunningApprover,
    form: ConsoleForm,
    dunning: DunningServiceDep,
    runtime: RuntimeDep,
    session: SessionDep,
) -> Response:
    """Mark a phone task done (the call was made, with an optional note), or reopen a done one to call again."""
    try:
        if action == "done":
            dunning.mark_task_done(user, step_id, form.get("note"))
        elif action == "reopen":
            dunning.reopen_task(user, step_id)
        else:
            raise InvalidInput("Mark the call done or reopen it.", errors=[FieldError("action", "done or reopen")])
    except UndersignError as exc:
        # The service checks the note (one rule for the API and the console); here it sits under its call.
        problems = {f"call-{step_id}" if e.pointer == TASK_NOTE_FIELD else e.pointer: e.reason for e in exc.errors}
        redraw = partial(_dunning_page, request, user, dunning, runtime)
        return redraw_refused(session, exc, redraw, keep=KEPT, problems=problems)
    done = "call" if action == "done" else "reopened"
    return RedirectResponse(f"/console/billing/dunning?done={done}", status_code=status.HTTP_303_SEE_OTHER)


@router.get("/dunning/preview", response_class=HTMLResponse)
def preview_run(
    request: Request,
    user: ConsoleDunningPlanner,
    runner: DunningRunnerDep,
    runtime: RuntimeDep,
    clients: ClientServiceDep,
    session: SessionDep,
) -> Response:
    """A dry run of tomorrow's ladder: what would be sent, what would wait for approval; nothing is sent."""
    tomorrow = runtime.clock.now().date() + timedelta(days=1)
    session.commit()  # the run works in its own units of work; this request holds no lock meanwhile
    report = runner(user, tomorrow, True)
    names = {c: clients.get(c).legal_name for c in {s.client_id for s in report.steps}}
    return render(
        request,
        "billing/preview.html",
        user,
        report=report,
        names=names,
        day=tomorrow,
        step_words=step_words,
        status_words=status_words,
    )
