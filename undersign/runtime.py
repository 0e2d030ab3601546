"""The runtime: the real components of one undersign process, built from settings.

The API app factory and the CLI both build a ``Runtime``; tests build one with their own object
store and database. This is the one place that knows which adapter implements which port.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from adapters.clock import SystemClock
from adapters.renderers import PooledRenderer
from adapters.template_library import TemplateLibrary
from domain.assembly.context import Branding
from domain.assembly.paper import Paper
from domain.errors import DatabaseUnavailable, StoreMisconfigured, StoreUnavailable
from domain.ports import BlobStore, Clock, DocumentRenderer
from services.documents import RenderBudget
from storage import migrator
from storage.database import make_engine, make_session_factory, ping
from storage.s3_blob_store import S3BlobStore
from undersign.settings import Settings

log = logging.getLogger("undersign")


@dataclass
class Runtime:
    """Everything a request or a CLI command needs, created once per process."""

    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    blob_store: BlobStore
    templates: TemplateLibrary
    renderer: DocumentRenderer
    # The MSP's branding as documents print it; the logo file is read once, when the process starts.
    branding: Branding
    clock: Clock = field(default_factory=SystemClock)

    @property
    def render_budget(self) -> RenderBudget:
        """The page and time budget of one render."""
        return RenderBudget(
            max_pages=self.settings.render.max_pages, timeout_seconds=self.settings.render.timeout_seconds
        )

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
            "object_store": self.blob_store.check,
        }

    def _check_migrations(self) -> None:
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
        """Release pooled database connections."""
        self.engine.dispose()


def build_engine(settings: Settings) -> Engine:
    """Create the database engine named by the settings (making the data dir for SQLite)."""
    if settings.database_url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    return make_engine(settings.database_url, echo=settings.database.echo, pool_size=settings.database.pool_size)


def build_blob_store(settings: Settings) -> S3BlobStore:
    """Create the S3 blob store named by the settings."""
    if not settings.s3.endpoint_url:
        raise RuntimeError(
            "No object store configured: set UNDERSIGN_S3__ENDPOINT_URL (or run `undersign dev`, which starts one)."
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


def branding_from_settings(settings: Settings) -> Branding:
    """Build the document branding from settings, reading the logo file if one is configured."""
    logo = settings.branding.logo_path
    media_type = "image/svg+xml" if logo and logo.suffix.lower() == ".svg" else "image/jpeg"
    if logo and logo.suffix.lower() == ".png":
        media_type = "image/png"
    return Branding(
        msp_name=settings.branding.msp_name,
        address=settings.branding.msp_address,
        primary_colour=settings.branding.primary_colour,
        paper=None if settings.branding.paper == "auto" else Paper(settings.branding.paper),
        logo=logo.read_bytes() if logo else None,
        logo_media_type=media_type,
    )


def build_renderer(settings: Settings, library: TemplateLibrary) -> PooledRenderer:
    """Create the pool of warm render workers named by the settings."""
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
) -> Runtime:
    """Build the runtime for ``settings``; tests may hand in their own blob store, clock or renderer."""
    for problem in settings.dunning_problems():
        # Production refuses to start (Settings); development says what notices will lack.
        log.warning("payment notices are incomplete: %s", problem)
    engine = build_engine(settings)
    library = TemplateLibrary(settings.templates_dir)
    return Runtime(
        settings=settings,
        engine=engine,
        sessions=make_session_factory(engine),
        blob_store=blob_store if blob_store is not None else build_blob_store(settings),
        templates=library,
        renderer=renderer if renderer is not None else build_renderer(settings, library),
        branding=branding_from_settings(settings),
        clock=clock or SystemClock(),
    )
