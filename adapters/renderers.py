"""Document renderers: in this process, or in a pool of warm worker processes with a time budget.

WeasyPrint layout holds the GIL and cannot be interrupted, so the service renders in worker
processes: each keeps its template library, FontConfiguration and parsed CSS warm, is recycled
after a number of documents (to bound memory), and a render that overruns its time budget is
answered with ``RenderBudgetExceeded`` while the pool is torn down and rebuilt, never leaving a
hung worker behind. The CLI and benchmarks may render inline.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from importlib import metadata
from multiprocessing.pool import AsyncResult, Pool
from pathlib import Path

from adapters.template_library import TemplateLibrary
from domain.assembly.assemble import AssembledDocument, assemble
from domain.assembly.docx_writer import render_docx
from domain.assembly.html_writer import render_html
from domain.assembly.pdf import render_pdf, stylesheet_name
from domain.documents import FileFormat
from domain.errors import DependencyUnavailable, RenderBudgetExceeded
from domain.render_job import RenderJob, RenderResult

# How often a waiting render looks whether its pool was torn down under it.
_POLL_SECONDS = 0.05
_LIBRARIES = ("undersign", "weasyprint", "pydyf", "docxtpl", "python-docx", "jinja2", "markdown-it-py")


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries that shape the rendered bytes (recorded with each version)."""
    return dict(_installed_versions())


@functools.cache
def _installed_versions() -> dict[str, str]:
    # Read once per process: looking the distributions up on disk cost a notice about 5% of its render,
    # and what is installed cannot change under a running process (an upgrade restarts it).
    versions: dict[str, str] = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def render_with(library: TemplateLibrary, job: RenderJob) -> RenderResult:
    """Assemble and render ``job`` with ``library``'s warm renderers, in the calling process."""
    manifest = library.get(job.template_id)
    document = assemble(manifest, job.variables, job.context)
    pdf = render_pdf(document, library.pdf_renderer(), max_pages=job.max_pages)
    files = {FileFormat.PDF: pdf.data}
    if FileFormat.DOCX in job.formats:
        files[FileFormat.DOCX] = render_docx(document, library.docx_renderer())
    return RenderResult(
        template_version=manifest.version,
        clauses=tuple(clause.record() for clause in document.clauses),
        files=files,
        page_count=pdf.page_count,
        signature_boxes=pdf.signature_boxes,
        library_versions=library_versions(),
    )


def preview_html(library: TemplateLibrary, document: AssembledDocument) -> str:
    """Return the document as one self-contained HTML page (print CSS inlined, nothing to fetch)."""
    page = render_html(document, library.pdf_renderer().layout)
    css = (library.shared_dir / stylesheet_name(document.kind, library.shared_dir)).read_text(encoding="utf-8")
    # The stylesheet is ours (template folder), not user input; a browser preview needs it inline.
    return page.replace("</head>", f"<style>{css}</style></head>", 1)


class InlineRenderer:
    """Renders in the calling process (CLI, benchmarks); no time budget beyond the page budget."""

    def __init__(self, library: TemplateLibrary) -> None:
        self.library = library

    def render(self, job: RenderJob) -> RenderResult:
        """Render ``job`` here and now."""
        return render_with(self.library, job)

    def html(self, document: AssembledDocument) -> str:
        """Return the HTML preview of an assembled document."""
        return preview_html(self.library, document)


_worker_library: TemplateLibrary | None = None


def _warm_worker(templates_dir: str) -> None:
    global _worker_library
    # A worker leaves its parent's process group: Ctrl+C or a group-wide SIGTERM (a terminal, systemd,
    # a test) then reaches only the parent, which shuts the pool down in order, instead of killing a
    # render the parent is still waiting for. SIGTERM keeps its default action, because the pool's own
    # terminate() stops a worker with it and then waits for it: a worker that ignored it would hang that
    # wait for ever. If the parent is killed outright, a worker finds its task pipe closed and exits.
    os.setpgrp()
    _worker_library = TemplateLibrary(Path(templates_dir))
    # Fonts are found, opened and kept once per worker (one FontConfiguration, warmed here), not per document.
    _worker_library.pdf_renderer().warm()
    _worker_library.docx_renderer()


def _warm_probe() -> int:
    # A short pause, so that the probes of one warm-up spread over the workers instead of one taking all.
    time.sleep(0.05)
    return os.getpid()


def _render_in_worker(job: RenderJob) -> RenderResult:
    assert _worker_library is not None
    return render_with(_worker_library, job)


class _Generation:
    """One incarnation of the worker pool; ``ended`` is set when it is torn down."""

    def __init__(self, pool: Pool) -> None:
        self.pool = pool
        self.ended = threading.Event()


@dataclass
class RenderTicket:
    """A render handed to the pool: the job, the pool incarnation it went to, and its deadline."""

    job: RenderJob
    generation: _Generation
    pending: AsyncResult[RenderResult]
    deadline: float
    retried: bool = False


class PooledRenderer:
    """Renders in warm worker processes; a render past its time budget is stopped, not waited for.

    When one render overruns and the pool is torn down, the other renders in flight on that pool are
    handed at once to the new pool (once each, with a fresh budget: the overrun was not theirs)
    instead of waiting out their own budget for a result that can no longer come.
    """

    def __init__(self, library: TemplateLibrary, *, workers: int = 2, max_tasks_per_worker: int = 200) -> None:
        self.library = library
        self.templates_dir = library.root
        self.workers = workers
        self.max_tasks_per_worker = max_tasks_per_worker
        self._lock = threading.Lock()
        self._generation: _Generation | None = None
        self.restarts = 0

    def _current(self) -> _Generation:
        with self._lock:
            if self._generation is None:
                # spawn: forking a process that runs threads (uvicorn, boto3) can copy held locks.
                context = multiprocessing.get_context("spawn")
                pool = context.Pool(
                    processes=self.workers,
                    initializer=_warm_worker,
                    initargs=(str(self.templates_dir),),
                    maxtasksperchild=self.max_tasks_per_worker,
                )
                self._generation = _Generation(pool)
            return self._generation

    def submit(self, job: RenderJob) -> RenderTicket:
        """Hand ``job`` to a worker and return at once; ``result`` waits for it."""
        generation = self._current()
        pending = generation.pool.apply_async(_render_in_worker, (job,))
        return RenderTicket(job, generation, pending, time.monotonic() + job.timeout_seconds)

    def result(self, ticket: RenderTicket) -> RenderResult:
        """Wait for ``ticket``; raise ``RenderBudgetExceeded`` if it takes longer than its budget."""
        while True:
            remaining = ticket.deadline - time.monotonic()
            ticket.pending.wait(min(_POLL_SECONDS, max(remaining, 0.0)))
            if ticket.pending.ready():
                return ticket.pending.get()
            if ticket.generation.ended.is_set():
                if ticket.retried:
                    raise DependencyUnavailable("The document renderer restarted twice during this render; try again.")
                ticket = self.submit(ticket.job)
                ticket.retried = True
                continue
            if remaining <= 0:
                self._discard(ticket.generation)
                raise RenderBudgetExceeded(
                    f"Rendering took longer than {ticket.job.timeout_seconds:g} s and was stopped. "
                    "Shorten the input (long tables, many items) and try again."
                )

    def render(self, job: RenderJob) -> RenderResult:
        """Render ``job`` in a worker; raise ``RenderBudgetExceeded`` if it takes longer than its budget."""
        return self.result(self.submit(job))

    def html(self, document: AssembledDocument) -> str:
        """Return the HTML preview of an assembled document (cheap: no layout, done in this process)."""
        return preview_html(self.library, document)

    def _discard(self, generation: _Generation | None = None) -> None:
        with self._lock:
            current = self._generation
            if current is None or (generation is not None and generation is not current):
                return  # that incarnation is already gone; a newer one serves other renders
            self._generation = None
            self.restarts += 1
        # terminate() kills the workers, including the one stuck in layout; the renders in flight
        # notice ``ended`` within one poll and move to the next incarnation.
        current.ended.set()
        current.pool.terminate()
        current.pool.join()

    def warm(self, timeout: float = 300.0) -> None:
        """Start the worker processes and wait until they have loaded fonts and stylesheets (server start-up)."""
        pool = self._current().pool
        probes = [pool.apply_async(_warm_probe) for _ in range(self.workers)]
        for probe in probes:
            probe.get(timeout)

    def close(self) -> None:
        """Stop the worker processes."""
        self._discard()
