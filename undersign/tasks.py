"""The tasks: named units of background work, each idempotent, run by a worker with the process runtime.

A change enqueues a task through the ``TaskQueue`` port on its own unit of work (``ServiceFactory.tasks``);
a worker (``undersign worker``, or the in-process one of the API on the embedded default) runs it
once the change has committed. Every task may run more than once (a worker killed half way, a retry
after an outage) and is written so that the second run finds the work done and does nothing new:

- ``complete-envelope``: seal and file a fully signed envelope (``CompletionService`` adopts a sealed
  copy already filed under the envelope's key instead of sealing again);
- ``render-page-images``: the signing page's PNGs of a sent PDF, once per SHA-256;
- ``run-due.<job>``: one job of ``undersign run-due`` (periodic on the workers).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from services.completion import COMPLETE_ENVELOPE_TASK
from storage.page_image_repository import RENDER_PAGE_IMAGES_TASK
from undersign.jobs import JOBS, complete_in_own_transaction
from undersign.runtime import Runtime

log = logging.getLogger("undersign.tasks")
COMPLETE_ENVELOPE = COMPLETE_ENVELOPE_TASK
RENDER_PAGE_IMAGES = RENDER_PAGE_IMAGES_TASK
RUN_DUE_PREFIX = "run-due."

Task = Callable[[Runtime, dict[str, Any]], None]


class TaskDeferred(Exception):
    """The task could not do its work now (an outage); the queue runs it again after a back-off."""


def complete_envelope(runtime: Runtime, args: dict[str, Any]) -> None:
    """Seal and file one envelope; a deferral (TSA or store down) raises so the queue retries it."""
    status = complete_in_own_transaction(runtime, str(args["envelope_id"]))
    if status is None or status == "completing":
        raise TaskDeferred(f"envelope {args['envelope_id']} is still {status or 'not sealed'}")


def render_page_images(runtime: Runtime, args: dict[str, Any]) -> None:
    """Render the page images of one sent PDF into the object store (nothing to do when they are there)."""
    from undersign.page_images import render_and_store

    render_and_store(runtime, str(args["sha256"]), str(args["key"]), args.get("version_id"))


def _run_due(name: str) -> Task:
    job = dict(JOBS)[name]

    def run(runtime: Runtime, _args: dict[str, Any]) -> None:
        counts = job(runtime)
        if any(counts.values()):
            log.info("run-due %s: %s", name, ", ".join(f"{k}={v}" for k, v in counts.items()))

    return run


TASKS: dict[str, Task] = {
    COMPLETE_ENVELOPE: complete_envelope,
    RENDER_PAGE_IMAGES: render_page_images,
    **{RUN_DUE_PREFIX + name: _run_due(name) for name, _job in JOBS},
}


def periodic_tasks(every_minutes: int) -> list[tuple[str, str]]:
    """Return the periodic tasks as (task name, cron line): every run-due job every ``every_minutes``."""
    return [(RUN_DUE_PREFIX + name, f"*/{every_minutes} * * * *") for name, _job in JOBS]


def handlers(runtime: Runtime) -> Mapping[str, Callable[[dict[str, Any]], None]]:
    """Return every task bound to ``runtime``, as a handler of its JSON arguments."""

    def bind(task: Task) -> Callable[[dict[str, Any]], None]:
        return lambda args: task(runtime, args)

    return {name: bind(task) for name, task in TASKS.items()}
