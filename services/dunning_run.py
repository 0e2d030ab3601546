"""A dunning run over every open invoice: one unit of work per batch of invoices, several at once, with progress.

Invoices are handled in batches of ``batch`` per transaction (``open_unit``): a batch's notices are
rendered side by side on every render worker, filed, mailed and recorded, and its records commit
together (one audit-chain lock, one commit per batch instead of per invoice). If anything in a
batch fails, the batch is rolled back and its invoices are handled again one per transaction, so
one failing invoice (a mail relay down, a render over budget) stops nothing else: it is reported
and retried by the next run. Batches are spread over ``workers`` threads, so while one thread
writes to the database, the object store and the relay, another's notices keep the render
processes busy. A dry run plans in one read-only transaction and changes nothing.

An unexpected error on one invoice (a record no check foresaw) is logged and reported as a
failure of that invoice only; the run goes on for everybody else.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date

from domain.actor import Actor
from domain.errors import Conflict, UndersignError
from services.dunning import DunningService, InvoiceOutcome, PlannedStep

UnitFactory = Callable[[], AbstractContextManager[DunningService]]
Progress = Callable[[int, int], None]
_PLAN_CHUNK = 500
#: Invoices per transaction in a run: enough to keep every render worker busy and share one commit.
BATCH = 10
_log = logging.getLogger(__name__)
UNEXPECTED = "an unexpected error; the invoice was skipped and the error logged for the operator"


@dataclass
class RunReport:
    """What a run did (or, for a dry run, would do)."""

    as_of: date
    dry_run: bool
    invoices: int = 0
    issued: int = 0
    awaiting_approval: int = 0
    tasks: int = 0
    skipped: int = 0
    held: int = 0
    locked: int = 0
    suspended: int = 0
    reinstated: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    steps: list[PlannedStep] = field(default_factory=list)

    def add(self, outcome: InvoiceOutcome) -> None:
        """Count one invoice's outcome."""
        self.issued += outcome.issued
        self.awaiting_approval += outcome.awaiting_approval
        self.tasks += outcome.tasks
        self.skipped += outcome.skipped
        self.held += int(outcome.held)
        self.locked += int(outcome.locked)
        self.suspended += int(outcome.suspended)
        self.steps.extend(outcome.steps)


def run_dunning(
    open_unit: UnitFactory,
    actor: Actor,
    as_of: date,
    *,
    dry_run: bool = False,
    workers: int = 1,
    batch: int = BATCH,
    progress: Progress | None = None,
) -> RunReport:
    """Plan (``dry_run``) or perform the ladder for every open invoice on ``as_of``."""
    report = RunReport(as_of=as_of, dry_run=dry_run)
    with open_unit() as service:
        ids = service.invoice_ids_for_run(as_of)
    report.invoices = len(ids)
    total = len(ids)
    if dry_run:
        with open_unit() as service:
            for start in range(0, total, _PLAN_CHUNK):
                report.steps.extend(_plan_chunk(service, ids[start : start + _PLAN_CHUNK], as_of, report))
                if progress:
                    progress(min(start + _PLAN_CHUNK, total), total)
        return report
    lock = threading.Lock()
    done = 0

    def one(invoice_id: str) -> InvoiceOutcome:
        with open_unit() as service:
            return service.process_invoice(actor, invoice_id, as_of)

    def handle(ids: list[str]) -> list[tuple[str, InvoiceOutcome | BaseException]]:
        if len(ids) > 1:
            try:
                with open_unit() as service:
                    outcomes = service.process_invoices(actor, ids, as_of)
                return [(invoice_id, outcomes[invoice_id]) for invoice_id in ids]
            except Exception:  # the batch is rolled back: find the bad invoice by doing them one by one
                _log.info("dunning run %s: a batch of %d failed; handling its invoices one by one", as_of, len(ids))
        results: list[tuple[str, InvoiceOutcome | BaseException]] = []
        for invoice_id in ids:
            try:
                results.append((invoice_id, one(invoice_id)))
            except Exception as exc:  # reported below, per invoice
                results.append((invoice_id, exc))
        return results

    size = max(1, batch)
    batches = [ids[start : start + size] for start in range(0, total, size)]
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="dunning") as pool:
        futures = [pool.submit(handle, chunk) for chunk in batches]
        for future in as_completed(futures):
            for invoice_id, result in future.result():
                outcome = _outcome(result, invoice_id, as_of, report)
                with lock:
                    report.add(outcome)
                    done += 1
                    if progress:
                        progress(done, total)
    with open_unit() as service:
        suspended = service.suspended_clients()
    for client_id in suspended:
        try:
            with open_unit() as service:
                report.reinstated += int(service.reinstate_if_paid(actor, client_id, as_of))
        except Conflict:
            continue  # another run reinstated the client first
        except UndersignError as exc:
            report.failed.append((client_id, exc.detail))
        except Exception:  # as above: one client's failure is reported, the others go on
            _log.exception("dunning run %s: reinstating client %s failed", as_of, client_id)
            report.failed.append((client_id, UNEXPECTED))
    return report


def _outcome(result: InvoiceOutcome | BaseException, invoice_id: str, as_of: date, report: RunReport) -> InvoiceOutcome:
    """Return the outcome of one invoice, noting a failure in ``report``."""
    if isinstance(result, InvoiceOutcome):
        return result
    if isinstance(result, Conflict):
        return InvoiceOutcome(locked=True)  # another run recorded the step first
    if isinstance(result, UndersignError):
        report.failed.append((invoice_id, result.detail))
        return InvoiceOutcome()
    # One bad record must not stop the run for every other client.
    _log.error("dunning run %s: invoice %s failed", as_of, invoice_id, exc_info=result)
    report.failed.append((invoice_id, UNEXPECTED))
    return InvoiceOutcome()


def _plan_chunk(service: DunningService, ids: list[str], as_of: date, report: RunReport) -> list[PlannedStep]:
    """Plan ``ids``; if the chunk fails, plan them one by one so only the bad invoice is reported."""
    try:
        return service.plan_invoices(ids, as_of)
    except Exception:  # fall back to one by one to find the bad record
        planned: list[PlannedStep] = []
        for invoice_id in ids:
            try:
                planned.extend(service.plan_invoices([invoice_id], as_of))
            except UndersignError as exc:
                report.failed.append((invoice_id, exc.detail))
            except Exception:
                _log.exception("dunning dry run %s: invoice %s failed", as_of, invoice_id)
                report.failed.append((invoice_id, UNEXPECTED))
        return planned
