"""The runtime: the real components of one undersign process, built from settings.

The API's lifespan and every CLI command build a ``Runtime`` with ``build_runtime``; tests build one
with their own object store, clock and render pool. This is the one place that knows which adapter
implements which port. Nothing here is built at import time; the signing kit (sealing key, mailer,
page images) is built on first use, once per process, and ``close()`` releases everything.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from adapters.clock import SystemClock
from adapters.mail import mailer_from_settings
from domain.assembly.context import Branding
from domain.errors import DatabaseUnavailable, StoreMisconfigured, StoreUnavailable
from domain.ports import BlobStore, Clock, DocumentRenderer, EnvelopeOutcomeListener, Mailer, TaskQueue
from storage.database import make_engine, make_session_factory, ping
from storage.settled_rows import SettledRows
from undersign.branding import branding_from_settings
from undersign.message_catalogs import GettextCatalogs
from undersign.page_image_cache import PageImageCache
from undersign.settings import Settings

# The heavy parts (WeasyPrint, pyHanko, boto3, Alembic) are imported where they are first built, so a
# command that needs only the database (``undersign keys list``) never loads them.
if TYPE_CHECKING:
    from adapters.evidence_seal import EvidenceSeal
    from adapters.oidc import OidcClient
    from adapters.renderers import PooledRenderer
    from adapters.secret_box import SecretBox
    from adapters.signing_kit import SigningKit
    from adapters.template_library import TemplateLibrary
    from domain.sealing.keys import SealingKey
    from services.documents import RenderBudget
    from storage.s3_blob_store import S3BlobStore

log = logging.getLogger("undersign")
# Set on a session's ``info`` when it enqueued a task: after its commit, workers are told.
TASKS_ENQUEUED = "undersign_tasks_enqueued"


@dataclass
class Runtime:
    """Everything a request or a CLI command needs, created once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    # The MSP's branding as documents print it; the logo file is read once, when the process starts.
    branding: Branding
    clock: Clock = field(default_factory=SystemClock)
    # Session-independent outcome listeners added to the wired ones (tests add fakes here).
    envelope_listeners: list[EnvelopeOutcomeListener] = field(default_factory=list)
    # Only a render pool this runtime started is stopped by ``close()``; one handed in belongs to the caller.
    owns_renderer: bool = False
    # Tests' runtimes run enqueued tasks right after the request that enqueued them (no worker runs there).
    run_tasks_inline: bool = False
    # The in-process task worker the API's lifespan started (embedded default and development), if any.
    worker: Any = None
    _task_app: Any = None
    _templates: TemplateLibrary | None = None
    _renderer: DocumentRenderer | None = None
    _blob_store: BlobStore | None = None
    _mailer: Mailer | None = None
    _kit: SigningKit | None = None
    _evidence_seal: EvidenceSeal | None = None
    _secret_box: SecretBox | None = None
    # The message catalogues of the signing pages, signer mails and certificates (read on first use).
    catalogs: GettextCatalogs = field(default_factory=GettextCatalogs)
    _oidc: OidcClient | None = None
    _page_image_cache: PageImageCache | None = None
    # Link grants and ready page counts: rows that never change, remembered for the signing pages.
    settled_rows: SettledRows = field(default_factory=SettledRows)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def templates(self) -> TemplateLibrary:
        """The template library named by the settings."""
        from adapters.template_library import TemplateLibrary

        with self._lock:
            if self._templates is None:
                self._templates = TemplateLibrary(self.settings.templates_dir)
            return self._templates

    @property
    def renderer(self) -> DocumentRenderer:
        """The pool of warm render workers (its processes start with the first render), measured for /metrics."""
        from adapters.measured_renderer import MeasuredRenderer

        templates = self.templates
        with self._lock:
            if self._renderer is None:
                self._renderer = build_renderer(self.settings, templates)
                self.owns_renderer = True
            if not isinstance(self._renderer, MeasuredRenderer):
                self._renderer = MeasuredRenderer(self._renderer, self.settings.render.workers)
            return self._renderer

    @property
    def blob_store(self) -> BlobStore:
        """The object store, connected on first use (a command that needs only the database never asks)."""
        with self._lock:
            if self._blob_store is None:
                self._blob_store = build_blob_store(self.settings)
            return self._blob_store

    @property
    def page_image_cache(self) -> PageImageCache:
        """The page images this process has served, kept in memory up to ``server.page_image_cache_mb``."""
        with self._lock:
            if self._page_image_cache is None:
                self._page_image_cache = PageImageCache(self.settings.server.page_image_cache_mb * 1024 * 1024)
            return self._page_image_cache

    @property
    def mailer(self) -> Mailer:
        """The process's mailer: the SMTP relay when one is configured, else the ``.eml`` outbox."""
        with self._lock:
            if self._mailer is None:
                self._mailer = mailer_from_settings(self.settings.mail, self.settings.outbox_dir)
            return self._mailer

    @property
    def kit(self) -> SigningKit:
        """The signing kit (sealing key, completer, page images), built on first use."""
        from adapters.signing_kit import build_signing_kit

        mailer = self.mailer
        with self._lock:
            if self._kit is None:
                self._kit = build_signing_kit(self.settings, self.clock.now(), mailer=mailer)
            return self._kit

    @property
    def evidence_seal(self) -> EvidenceSeal:
        """The seal on evidence summaries and refusal records (the service key; WeasyPrint loads once)."""
        from adapters.evidence_seal import build_evidence_seal

        key = self.service_key
        with self._lock:
            if self._evidence_seal is None:
                self._evidence_seal = build_evidence_seal(key, self.settings.signing.tsa_url)
            return self._evidence_seal

    @property
    def oidc(self) -> OidcClient | None:
        """The console's OpenID Connect client (its discovery document cached), or ``None`` when not set up."""
        from adapters.oidc import OidcClient

        c = self.settings.console
        if not c.oidc_configured or c.oidc_issuer is None or c.oidc_client_id is None:
            return None
        with self._lock:
            if self._oidc is None:
                self._oidc = OidcClient(
                    c.oidc_issuer,
                    c.oidc_client_id,
                    c.oidc_client_secret.get_secret_value(),
                    timeout=c.oidc_timeout_seconds,
                    allowed_domain=c.oidc_allowed_domain,
                )
            return self._oidc

    @property
    def secret_box(self) -> SecretBox:
        """Seals the console's authenticator secrets at rest (its key derives from the service key on first use)."""
        from adapters.secret_box import SecretBox

        with self._lock:
            if self._secret_box is None:
                self._secret_box = SecretBox(lambda: self.service_key)
            return self._secret_box

    @property
    def service_key(self) -> SealingKey:
        """The key that seals documents and signs audit checkpoints (one key, one certificate)."""
        return self.kit.key

    @property
    def render_budget(self) -> RenderBudget:
        """The page and time budget of one render."""
        from services.documents import RenderBudget

        return RenderBudget(
            max_pages=self.settings.render.max_pages, timeout_seconds=self.settings.render.timeout_seconds
        )

    def warm(self) -> None:
        """Start the render workers and wait until they are warm, so the first document is not slow."""
        renderer = self.renderer
        warm = getattr(getattr(renderer, "inner", renderer), "warm", None)
        if warm is not None:
            warm()

    def task_queue(self, session: Session) -> TaskQueue:
        """The task queue on ``session``: procrastinate on PostgreSQL, our ``queued_tasks`` table on SQLite.

        Either way the task is written in the session's transaction, so it commits with the change.
        """
        session.info[TASKS_ENQUEUED] = True
        if self.engine.dialect.name == "postgresql":
            from adapters.procrastinate_queue import ProcrastinateTaskQueue, build_app

            with self._lock:
                if self._task_app is None:
                    # Deferring needs task names only; the handlers live with the workers.
                    self._task_app = build_app(self.settings.database_url, {})
            return ProcrastinateTaskQueue(self._task_app, session)
        from storage.task_table import SqlTaskQueue

        return SqlTaskQueue(session, self.clock.now())

    def tasks_committed(self) -> None:
        """Tell the workers that a unit of work has committed tasks (tests' runtimes run them now)."""
        if self.worker is not None:
            self.worker.wake()
        elif self.run_tasks_inline:
            from undersign.task_worker import drain

            drain(self)

    def ensure_bucket(self) -> None:
        """Create or check the bucket at start-up.

        A bucket without versioning stops the process (``StoreMisconfigured``): filing documents
        where they can be overwritten is worse than not running. A store that is merely down is
        logged and reported by ``/readyz``; writes answer 503 until it is back.
        """
        ensure = getattr(self.blob_store, "ensure_bucket", None)
        if ensure is None:
            return
        try:
            ensure()
        except StoreMisconfigured:
            raise
        except StoreUnavailable as exc:
            log.warning("object store not available at start-up: %s", exc.detail)

    def readiness_probes(self) -> dict[str, Callable[[], None]]:
        """Return the checks ``/readyz`` runs: database reachable, schema current, bucket versioned."""
        return {
            "database": lambda: ping(self.engine),
            "migrations": self._check_migrations,
            "object_store": lambda: self.blob_store.check(),
        }

    def _check_migrations(self) -> None:
        from storage import migrator

        try:
            current = migrator.current_revision(self.engine)
        except SQLAlchemyError as exc:
            raise DatabaseUnavailable("The database does not answer.") from exc
        head = migrator.head_revision()
        if current != head:
            raise DatabaseUnavailable(
                f"The schema is at revision {current or 'none'}, the code needs {head}: run `undersign db upgrade`."
            )

    def close(self) -> None:
        """Stop the task worker and the render workers, and release pooled database connections."""
        if self.worker is not None:
            self.worker.stop()
            self.worker = None
        close_renderer = getattr(self._renderer, "close", None)
        if self.owns_renderer and close_renderer is not None:
            close_renderer()
        self.engine.dispose()


def build_engine(settings: Settings) -> Engine:
    """Create the database engine named by the settings (making the data dir for SQLite)."""
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = settings.database
    return make_engine(
        settings.database_url,
        echo=database.echo,
        pool_size=database.pool_size,
        max_overflow=database.max_overflow,
        pool_timeout=database.pool_timeout_seconds,
    )


def build_blob_store(settings: Settings) -> S3BlobStore:
    """Create the S3 blob store named by the settings."""
    from storage.s3_blob_store import S3BlobStore

    if not settings.s3.endpoint_url:
        raise StoreMisconfigured(
            "No object store is configured: set UNDERSIGN_S3__ENDPOINT_URL, or start `undersign dev` "
            "(which runs one) with the same data folder."
        )
    return S3BlobStore(
        bucket=settings.s3.bucket,
        endpoint_url=settings.s3.endpoint_url,
        region=settings.s3.region,
        access_key=settings.s3.access_key.get_secret_value(),
        secret_key=settings.s3.secret_key.get_secret_value(),
        path_style=settings.s3.path_style,
        object_lock=settings.s3.object_lock,
    )


def build_renderer(settings: Settings, library: TemplateLibrary) -> PooledRenderer:
    """Create the pool of warm render workers named by the settings."""
    from adapters.renderers import PooledRenderer

    return PooledRenderer(
        library,
        workers=settings.render.workers,
        max_tasks_per_worker=settings.render.max_tasks_per_worker,
    )


def build_runtime(
    settings: Settings,
    *,
    blob_store: BlobStore | None = None,
    clock: Clock | None = None,
    renderer: DocumentRenderer | None = None,
    mailer: Mailer | None = None,
) -> Runtime:
    """Build the runtime for ``settings``; tests may hand in their own blob store, clock, renderer or mailer."""
    engine = build_engine(settings)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        branding=branding_from_settings(settings),
        clock=clock or SystemClock(),
        _renderer=renderer,
        _blob_store=blob_store,
        _mailer=mailer,
    )
