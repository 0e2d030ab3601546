"""Document renderers: in this process, or in a pool of warm worker processes with a time budget.

WeasyPrint layout holds the GIL and cannot be interrupted, so the service renders in worker
processes: each keeps its template library, FontConfiguration and parsed CSS warm, is recycled
after a number of documents (to bound memory), and a render that overruns its time budget is
answered with ``RenderBudgetExceeded`` while the pool is torn down and rebuilt, never leaving a
hung worker behind. The CLI and benchmarks may render inline.
"""

from __future__ import annotations

import multiprocessing
import threading
from importlib import metadata
from multiprocessing.pool import Pool
from pathlib import Path

from adapters.template_library import TemplateLibrary
from domain.assembly.assemble import AssembledDocument, assemble
from domain.assembly.docx_writer import render_docx
from domain.assembly.html_writer import render_html
from domain.assembly.pdf import render_pdf
from domain.documents import FileFormat
from domain.errors import RenderBudgetExceeded
from domain.render_job import RenderJob, RenderResult

_LIBRARIES = ("undersign", "weasyprint", "pydyf", "docxtpl", "python-docx", "jinja2", "markdown-it-py")


def library_versions() -> dict[str, str]:
    """Return the versions of the libraries that shape the rendered bytes (recorded with each version)."""
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
        clauses=[clause.as_dict() for clause in document.clauses],
        files=files,
        page_count=pdf.page_count,
        signature_boxes=[box.as_dict() for box in pdf.signature_boxes],
        library_versions=library_versions(),
    )


def preview_html(library: TemplateLibrary, document: AssembledDocument) -> str:
    """Return the document as one self-contained HTML page (print CSS inlined, nothing to fetch)."""
    page = render_html(document, library.pdf_renderer().layout)
    css = (library.shared_dir / "print.css").read_text(encoding="utf-8")
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
    _worker_library = TemplateLibrary(Path(templates_dir))
    _worker_library.pdf_renderer()
    _worker_library.docx_renderer()


def _render_in_worker(job: RenderJob) -> RenderResult:
    assert _worker_library is not None
    return render_with(_worker_library, job)


class PooledRenderer:
    """Renders in warm worker processes; a render past its time budget is stopped, not waited for."""

    def __init__(self, library: TemplateLibrary, *, workers: int = 2, max_tasks_per_worker: int = 200) -> None:
        self.library = library
        self.templates_dir = library.root
        self.workers = workers
        self.max_tasks_per_worker = max_tasks_per_worker
        self._lock = threading.Lock()
        self._pool: Pool | None = None

    def _current(self) -> Pool:
        with self._lock:
            if self._pool is None:
                # spawn: forking a process that runs threads (uvicorn, boto3) can copy held locks.
                context = multiprocessing.get_context("spawn")
                self._pool = context.Pool(
                    processes=self.workers,
                    initializer=_warm_worker,
                    initargs=(str(self.templates_dir),),
                    maxtasksperchild=self.max_tasks_per_worker,
                )
            return self._pool

    def render(self, job: RenderJob) -> RenderResult:
        """Render ``job`` in a worker; raise ``RenderBudgetExceeded`` if it takes longer than its budget."""
        pending = self._current().apply_async(_render_in_worker, (job,))
        try:
            result: RenderResult = pending.get(timeout=job.timeout_seconds)
        except multiprocessing.TimeoutError:
            self._discard()
            raise RenderBudgetExceeded(
                f"Rendering took longer than {job.timeout_seconds:g} s and was stopped. "
                "Shorten the input (long tables, many items) and try again."
            ) from None
        return result

    def html(self, document: AssembledDocument) -> str:
        """Return the HTML preview of an assembled document (cheap: no layout, done in this process)."""
        return preview_html(self.library, document)

    def _discard(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            # terminate() kills the workers, including the one stuck in layout; other renders in
            # flight fail and are answered with an error instead of waiting forever.
            pool.terminate()
            pool.join()

    def close(self) -> None:
        """Stop the worker processes."""
        self._discard()
