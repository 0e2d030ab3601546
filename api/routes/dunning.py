"""``/v1/dunning``: run the ladder, decide approvals, see where clients stand; per-client ladder policy."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query

from api.deps import DunningApproverDep, DunningRunActorDep, DunningRunnerDep, DunningServiceDep, ReaderDep, RuntimeDep
from api.schemas.dunning import (
    ApprovalOut,
    DecisionIn,
    OverviewOut,
    PolicyOut,
    RunOut,
    RunRequest,
    TaskDoneIn,
    TaskOut,
    policy_as_data,
)
from domain.bounds import date_problem
from domain.dunning.records import StepStatus
from domain.dunning.run_day import check_run_day
from domain.errors import FieldError, InvalidInput

router = APIRouter(tags=["dunning"])


@router.post("/v1/dunning/run", response_model=RunOut)
def run(body: RunRequest, actor: DunningRunActorDep, runner: DunningRunnerDep, runtime: RuntimeDep) -> RunOut:
    """Issue (or with ``dry_run`` only plan) every step due on ``date`` (default today); nothing twice."""
    today = runtime.clock.now().date()
    as_of = body.date or today
    check_run_day(as_of, today, dry_run=body.dry_run, backfill=body.backfill)
    return RunOut.of(runner(actor, as_of, body.dry_run))


@router.get("/v1/dunning/approvals", response_model=list[ApprovalOut])
def approvals(
    _actor: ReaderDep, service: DunningServiceDep, limit: Annotated[int, Query(ge=1, le=500)] = 200
) -> list[ApprovalOut]:
    """List the steps waiting for a person's approval (suspension, referral, letter before action)."""
    return [ApprovalOut.of(record, invoice.number) for record, invoice in service.approvals(limit)]


@router.post("/v1/dunning/approvals/{step_id}/approve", response_model=ApprovalOut)
def approve(
    step_id: str,
    actor: DunningApproverDep,
    service: DunningServiceDep,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> ApprovalOut:
    """Approve a waiting step: the notice is filed and mailed today (a suspension takes effect today)."""
    record = service.approve(actor, step_id, body.note if body else None)
    return ApprovalOut.of(record, service.invoice_number(record.invoice_id))


@router.post("/v1/dunning/approvals/{step_id}/reject", response_model=ApprovalOut)
def reject(
    step_id: str,
    actor: DunningApproverDep,
    service: DunningServiceDep,
    body: Annotated[DecisionIn | None, Body()] = None,
) -> ApprovalOut:
    """Reject a waiting step: it is recorded and never sent; the ladder goes on with the next step."""
    record = service.reject(actor, step_id, body.note if body else None)
    return ApprovalOut.of(record, service.invoice_number(record.invoice_id))


@router.get("/v1/dunning/overview", response_model=list[OverviewOut])
def overview(
    _actor: ReaderDep,
    service: DunningServiceDep,
    runtime: RuntimeDep,
    as_of: Annotated[date | None, Query(alias="date")] = None,
) -> list[OverviewOut]:
    """Per client: overdue total, oldest days overdue, current step, next step and its date."""
    today = runtime.clock.now().date()
    day = as_of or today
    if (problem := date_problem(day, today)) is not None:
        raise InvalidInput(f"The date {day.isoformat()} is not usable.", errors=[FieldError("query:date", problem)])
    counts = service.open_task_counts()
    return [OverviewOut.of(view, name, counts.get(view.client_id, 0)) for view, name in service.overview(day)]


@router.get("/v1/dunning/tasks", response_model=list[TaskOut])
def tasks(
    _actor: ReaderDep,
    service: DunningServiceDep,
    status: Literal["open", "done"] = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 200,
) -> list[TaskOut]:
    """List the phone tasks of the ladder (open by default): whom to call, about which invoice, how to reach them."""
    return [TaskOut.of(task) for task in service.tasks(StepStatus(status), limit)]


@router.post("/v1/dunning/tasks/{step_id}/done", response_model=TaskOut)
def task_done(
    step_id: str,
    actor: DunningApproverDep,
    service: DunningServiceDep,
    body: Annotated[TaskDoneIn | None, Body()] = None,
) -> TaskOut:
    """Mark a phone task done (the call was made), with an optional note on how it went."""
    record = service.mark_task_done(actor, step_id, body.note if body else None)
    return TaskOut.of(service.task(record.id))


@router.post("/v1/dunning/tasks/{step_id}/reopen", response_model=TaskOut)
def task_reopen(step_id: str, actor: DunningApproverDep, service: DunningServiceDep) -> TaskOut:
    """Put a done phone task back on the open list."""
    record = service.reopen_task(actor, step_id)
    return TaskOut.of(service.task(record.id))


@router.get("/v1/clients/{client_id}/dunning-policy", response_model=PolicyOut)
def get_policy(client_id: str, _actor: ReaderDep, service: DunningServiceDep) -> PolicyOut:
    """Return the client's ladder override (if any) and the ladder in force."""
    override = service.policy_override(client_id)
    return PolicyOut(
        client_id=client_id, override=override, effective=policy_as_data(service.effective_policy(client_id))
    )


@router.put("/v1/clients/{client_id}/dunning-policy", response_model=PolicyOut)
def put_policy(
    client_id: str, override: Annotated[dict[str, Any], Body()], actor: DunningApproverDep, service: DunningServiceDep
) -> PolicyOut:
    """Store the client's override of the default ladder (fields replace; steps merge by key)."""
    policy = service.set_policy_override(actor, client_id, override)
    return PolicyOut(client_id=client_id, override=override, effective=policy_as_data(policy))
