"""Settings: every knob of undersign, read from ``UNDERSIGN_*`` environment variables and ``.env``.

Groups nest with a double underscore: ``UNDERSIGN_DATABASE__URL``, ``UNDERSIGN_S3__BUCKET``. In
development mode the embedded defaults apply (SQLite, an embedded SeaweedFS, a dev signing
certificate, a local mail outbox). Outside development the service refuses to start while a
secret is missing or still a placeholder, and names each one: a production deployment with a
default password is worse than one that does not start.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.email_address import parse_email
from domain.embedding import embed_origin
from domain.text import single_line

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent


def shipped_data(name: str) -> Path:
    """The shipped data folder ``name`` (templates, policies): inside the installed package, else the repository's.

    A wheel carries the template library and the default ladder inside the ``undersign`` package; a
    checkout keeps them at the top of the repository. Settings default to whichever exists, so the
    same defaults work in a clone, in an installed wheel and in the image.
    """
    inside = PACKAGE_DIR / name
    return inside if inside.is_dir() else REPO_ROOT / name


# Values that mean "nobody set this": refused outside development.
PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "password", "admin", "dev", "test", "xxx"})


class Mode(StrEnum):
    """Whether embedded defaults and generated dev credentials are allowed."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class DatabaseSettings(BaseModel):
    """Where the records live."""

    url: str | None = Field(
        default=None,
        description="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db; default: SQLite file in the data dir",
    )
    echo: bool = Field(default=False, description="Log every SQL statement (debugging only)")
    pool_size: int = Field(default=5, ge=1, le=100, description="Connections kept per process (PostgreSQL)")
    max_overflow: int = Field(
        default=10, ge=0, le=100, description="Extra connections a busy process may open beyond the pool (PostgreSQL)"
    )
    pool_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Longest wait for a free connection before a request answers 503 with Retry-After (PostgreSQL)",
    )


class S3Settings(BaseModel):
    """The S3-compatible object store that keeps every document version."""

    endpoint_url: str | None = Field(
        default=None, description="S3 endpoint; unset in development = start the embedded SeaweedFS"
    )
    region: str = Field(default="us-east-1", description="S3 region name")
    bucket: str = Field(default="undersign", min_length=3, max_length=63, description="Bucket name")
    access_key: SecretStr = Field(default=SecretStr(""), description="Access key id")
    secret_key: SecretStr = Field(default=SecretStr(""), description="Secret access key")
    path_style: bool = Field(default=True, description="Path-style addressing (MinIO, SeaweedFS, Ceph)")
    object_lock: bool = Field(default=True, description="Create the bucket with Object Lock when it is missing")
    retention_mode: str = Field(
        default="GOVERNANCE",
        pattern="^(GOVERNANCE|COMPLIANCE)$",
        description="Object Lock mode for evidence (COMPLIANCE by default in production)",
    )
    contract_retention_years: int = Field(default=7, ge=0, le=100, description="Retention of signed contracts")
    waiver_retention_years: int = Field(default=8, ge=0, le=100, description="Retention of risk letters")
    notice_retention_years: int = Field(default=7, ge=0, le=100, description="Retention of notices")


class MailSettings(BaseModel):
    """Outgoing mail; without an SMTP host every message is written to the outbox folder."""

    smtp_host: str | None = Field(default=None, description="SMTP relay host; unset = write .eml files")
    smtp_port: int = Field(default=587, ge=1, le=65535, description="SMTP port")
    smtp_user: str | None = Field(default=None, description="SMTP user name")
    smtp_password: SecretStr = Field(default=SecretStr(""), description="SMTP password")
    starttls: bool = Field(default=True, description="Use STARTTLS")
    sender: str = Field(default="undersign <noreply@localhost>", description="From: address")
    reply_to: str | None = Field(default=None, max_length=254, description="Reply-To: address (a person who reads it)")
    outbox_dir: Path | None = Field(default=None, description="Outbox folder; default <data dir>/outbox")


class SigningSettings(BaseModel):
    """The sealing certificate and the timestamp authority."""

    pkcs12_path: Path | None = Field(default=None, description="PKCS#12 file; unset in development = dev CA")
    pkcs12_password: SecretStr = Field(default=SecretStr(""), description="PKCS#12 password")
    tsa_url: str | None = Field(default=None, description="RFC 3161 timestamp authority URL")
    tsa_roots_path: Path | None = Field(
        default=None, description="PEM file of the TSA's root certificate(s), trusted when verifying timestamps"
    )
    archive_margin_days: int = Field(
        default=90,
        ge=1,
        le=36500,
        description="Days before a seal's newest timestamp certificate expires that run-due adds an archive timestamp",
    )
    consent_version: str = Field(
        default="esign-consent-2", description="Version of the electronic-records disclosure shown to signers"
    )
    paper_copy_contact: str | None = Field(
        default=None,
        min_length=3,
        max_length=200,
        description="Where signers ask for a paper copy (an address people read, named in the disclosure); "
        "required in production",
    )
    link_expiry_days: int = Field(default=30, ge=1, le=365, description="Default days until an envelope expires")
    reminder_every_days: int = Field(default=3, ge=0, le=60, description="Default reminder interval (0 = none)")
    max_reminders: int = Field(default=5, ge=0, le=50, description="Most automatic reminders per envelope")
    remind_min_interval_minutes: int = Field(
        default=60, ge=0, le=10080, description="Least time between two reminders of one envelope (manual: 429)"
    )
    otp_ttl_minutes: int = Field(default=10, ge=1, le=60, description="Life of an e-mailed one-time code")
    otp_max_attempts: int = Field(default=5, ge=1, le=20, description="Wrong codes before the envelope is locked")
    refuse_unreviewed: bool | None = Field(
        default=None,
        description="Refuse to send documents counsel has not reviewed unless allow_unreviewed; unset = production",
    )
    notify_email: str | None = Field(
        default=None,
        max_length=254,
        description="Who is told how an envelope ends when the request names no sender_email (e.g. the MSP's "
        "contracts desk); unset = nobody unless the request names one",
    )
    notify_name: str | None = Field(
        default=None, max_length=200, description="The name greeted in mail to notify_email"
    )
    embed_origins: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Origins (https://portal.example) whose pages may show embedded signing in an iframe",
    )
    embed_ttl_minutes: int = Field(
        default=10, ge=1, le=60, description="Life of an embedded signing URL, from when it is issued"
    )

    @field_validator("notify_email")
    @classmethod
    def _one_plain_address(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else parse_email(value.strip())

    @field_validator("notify_name")
    @classmethod
    def _plain_name(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else single_line(value.strip())

    @field_validator("embed_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        return [embed_origin(origin) for origin in value]


class ServerSettings(BaseModel):
    """How the HTTP service runs."""

    host: str = Field(default="127.0.0.1", description="Bind address")
    port: int = Field(default=8000, ge=1, le=65535, description="Bind port")
    workers: int = Field(default=2, ge=1, le=64, description="uvicorn worker processes (`undersign serve`)")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL used in emailed links")
    max_body_bytes: int = Field(default=2_000_000, ge=1024, description="Largest accepted request body")
    trusted_proxies: list[str] = Field(default_factory=list, description="Proxy IPs whose X-Forwarded-For is believed")
    concurrent_requests: int | None = Field(
        default=None,
        ge=1,
        le=1000,
        description="Requests at work at once per API process (the rest queue, actions first, and page loads "
        "leave one slot to actions); default and most: the database pool's connections. Fewer answer each request "
        "sooner when the CPUs are the limit",
    )
    page_image_cache_mb: int = Field(
        default=64,
        ge=0,
        le=4096,
        description="Memory per API process for page images already served (they never change); 0 keeps none",
    )
    queue_seconds: float = Field(
        default=30.0,
        gt=0,
        le=300,
        description="Longest a request waits for one of the process's slots (one per pooled database connection) "
        "before it answers 503 with Retry-After",
    )


class RenderSettings(BaseModel):
    """How documents are rendered, and the budgets that stop a runaway render."""

    workers: int = Field(default=2, ge=1, le=64, description="Render worker processes per API process")
    max_pages: int = Field(default=60, ge=1, le=1000, description="Largest document, in pages, before refusing")
    timeout_seconds: float = Field(default=60.0, gt=0, le=600, description="Longest render before it is stopped")
    max_tasks_per_worker: int = Field(
        default=200, ge=1, description="Documents a worker renders before it is replaced (bounds memory)"
    )


class BrandingSettings(BaseModel):
    """How the MSP's documents look."""

    msp_name: str = Field(default="Example Managed Services Ltd.", description="MSP legal name on documents")
    msp_address: str = Field(default="1 Example Street, Vancouver BC", description="MSP address")
    logo_path: Path | None = Field(default=None, description="Logo (SVG or JPEG preferred) for the letterhead")
    primary_colour: str = Field(default="#1f3a5f", pattern="^#[0-9a-fA-F]{6}$", description="Accent colour")
    paper: Literal["auto", "a4", "letter"] = Field(
        default="auto", description="Paper for every document; auto = Letter for US/CA clients, A4 elsewhere"
    )


class DunningSettings(BaseModel):
    """The payment escalation ladder: default policy file, who signs the notices, how to pay."""

    policy_path: Path = Field(
        default_factory=lambda: shipped_data("policies") / "default-ladder.yaml",
        description="The default ladder policy (YAML)",
    )
    enabled: bool = Field(
        default=True, description="Payment escalation is used (production then needs contact and payment details)"
    )
    contact_name: str = Field(default="Accounts Receivable", max_length=200, description="Billing contact on notices")
    contact_title: str | None = Field(
        default=None, max_length=200, description="Billing contact's job title (notice sender)"
    )
    contact_email: str | None = Field(default=None, max_length=254, description="Billing contact email on notices")
    contact_phone: str | None = Field(default=None, max_length=40, description="Billing contact phone on notices")
    portal_url: str | None = Field(default=None, pattern="^https://", description="Payment portal URL on notices")
    bank_details: str | None = Field(default=None, max_length=500, description="Bank transfer details on notices")
    signature_image_path: Path | None = Field(
        default=None,
        description="Facsimile of the billing contact's signature (PNG or JPEG), printed above their name on notices",
    )
    counsel_reviewed: bool = Field(
        default=False, description="Counsel approved the notice texts (removes the draft marks)"
    )
    answer_days: int = Field(
        default=14, ge=1, le=90, description="Days a letter before action gives to pay (it is the last step)"
    )


class AuditSettings(BaseModel):
    """The audit chain's checkpoints and the risk register's review reminders."""

    checkpoint_retention_years: int = Field(
        default=10, ge=1, le=100, description="Object Lock retention of signed audit checkpoints"
    )
    risk_reminder_to: list[str] = Field(
        default_factory=list, description="Who is mailed when a risk acceptance is due for review (default: sender)"
    )
    risk_expiry_grace_days: int = Field(
        default=30, ge=0, le=3650, description="Days after its review date that an unrenewed risk acceptance expires"
    )


class WebhookSettings(BaseModel):
    """Outgoing webhooks: who may receive them and how long a delivery may take."""

    allow_private_targets: bool | None = Field(
        default=None,
        description="Allow http:// and loopback/private receivers (default: only in development; SSRF guard)",
    )
    timeout_seconds: float = Field(default=10.0, gt=0, le=60, description="Longest wait for a receiver's answer")
    poll_seconds: float = Field(default=1.0, gt=0, le=60, description="How often `undersign webhooks worker` looks")
    batch: int = Field(default=50, ge=1, le=1000, description="Deliveries claimed per look")
    keep_days: int = Field(
        default=30, ge=1, le=3650, description="Days sent and failed messages and their log are kept"
    )


class TaskSettings(BaseModel):
    """Background work: sealing, mail, page images and the due jobs, run by workers off the request path."""

    max_attempts: int = Field(default=8, ge=1, le=50, description="Tries of a task before it is given up (and logged)")
    retry_wait_seconds: int = Field(
        default=5, ge=1, le=3600, description="First wait before a failed task runs again; doubles with each try"
    )
    run_due_minutes: int = Field(
        default=5, ge=1, le=1440, description="How often workers run the due jobs (reminders, expiries, dunning, ...)"
    )
    stalled_after_seconds: float = Field(
        default=60.0,
        ge=2,
        le=3600,
        description="A worker silent this long is presumed dead; its running tasks run again elsewhere",
    )
    heartbeat_seconds: float = Field(
        default=10.0, gt=0, le=600, description="How often a worker says it is alive (below stalled_after_seconds)"
    )
    poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often an idle worker looks for tasks (embedded queue; a fallback)"
    )
    in_api: bool | None = Field(
        default=None,
        description="Run the tasks inside the API processes too: by default yes on the embedded SQLite queue and "
        "in development, no in production on PostgreSQL (where `undersign worker` runs them); set false when "
        "workers of their own run beside a development server",
    )
    pause_after_seal_file: Path | None = Field(
        default=None,
        description="Testing only: after filing a sealed copy and before recording it, wait until this file exists",
    )


class LogSettings(BaseModel):
    """Logs: JSON lines for a collector, or readable lines for a developer."""

    format: str | None = Field(
        default=None, pattern="^(json|console)$", description="json or console (default: json outside development)"
    )
    level: str = Field(default="INFO", pattern="^(DEBUG|INFO|WARNING|ERROR)$", description="Lowest level logged")


class MetricsSettings(BaseModel):
    """The Prometheus endpoint ``/metrics``."""

    bearer_token: SecretStr = Field(
        default=SecretStr(""), description="When set, /metrics answers only to `Authorization: Bearer <token>`"
    )


class ConsoleSettings(BaseModel):
    """The staff console: sessions, invitations, lockout and password hashing."""

    session_hours: int = Field(default=12, ge=1, le=24 * 14, description="Longest life of a signed-in session")
    idle_minutes: int = Field(default=120, ge=5, le=24 * 60, description="A session unused this long ends")
    invite_hours: int = Field(default=72, ge=1, le=14 * 24, description="Life of an invitation / reset link")
    lock_minutes: int = Field(
        default=15, ge=1, le=24 * 60, description="How long five failed sign-ins in a row lock an account"
    )
    argon2_time_cost: int = Field(default=3, ge=1, le=20, description="Argon2id iterations")
    argon2_memory_kib: int = Field(default=65536, ge=8, le=1_048_576, description="Argon2id memory in KiB")
    argon2_parallelism: int = Field(default=4, ge=1, le=16, description="Argon2id lanes")
    # Sign-in with the MSP's identity provider (Microsoft 365, Google Workspace): OpenID Connect.
    oidc_issuer: str | None = Field(
        default=None,
        max_length=500,
        description="OpenID Connect issuer URL, e.g. https://login.microsoftonline.com/<tenant>/v2.0 "
        "or https://accounts.google.com; unset = no single sign-on button",
    )
    oidc_client_id: str | None = Field(default=None, max_length=500, description="The client (application) id")
    oidc_client_secret: SecretStr = Field(default=SecretStr(""), description="The client secret")
    oidc_allowed_domain: str | None = Field(
        default=None, max_length=253, description="Only addresses of this e-mail domain may sign in this way"
    )
    oidc_label: str = Field(default="your work account", max_length=60, description="Shown on the sign-in button")
    oidc_timeout_seconds: float = Field(default=10.0, gt=0, le=60, description="Longest wait for the provider")

    @property
    def oidc_configured(self) -> bool:
        """Whether single sign-on is set up (issuer, client id and secret)."""
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret.get_secret_value())


class Settings(BaseSettings):
    """All settings of one undersign deployment."""

    model_config = SettingsConfigDict(
        env_prefix="UNDERSIGN_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    mode: Mode = Field(default=Mode.DEVELOPMENT, description="development or production")
    data_dir: Path = Field(default=Path("var"), description="Where SQLite, SeaweedFS, keys and the outbox live")
    templates_dir: Path = Field(default_factory=lambda: shipped_data("templates"), description="The template library")
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    s3: S3Settings = Field(default_factory=S3Settings)
    mail: MailSettings = Field(default_factory=MailSettings)
    signing: SigningSettings = Field(default_factory=SigningSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    render: RenderSettings = Field(default_factory=RenderSettings)
    branding: BrandingSettings = Field(default_factory=BrandingSettings)
    dunning: DunningSettings = Field(default_factory=DunningSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    _lock_mode_defaulted: bool = PrivateAttr(default=False)

    @model_validator(mode="after")
    def _compliance_lock_in_production(self) -> Self:
        # Evidence must outlive anyone's wish to delete it: production locks in COMPLIANCE mode
        # (nobody, not even the bucket owner, can shorten it) unless GOVERNANCE is chosen explicitly.
        if self.mode is Mode.PRODUCTION and "retention_mode" not in self.s3.model_fields_set:
            self.s3 = self.s3.model_copy(update={"retention_mode": "COMPLIANCE"})
            self._lock_mode_defaulted = True
        return self

    def retention_notice(self) -> str:
        """Say in one line how evidence is locked in the object store (logged at start-up)."""
        s3 = self.s3
        explicit = "retention_mode" in s3.model_fields_set and not self._lock_mode_defaulted
        chosen = "set explicitly" if explicit else f"the {self.mode.value} default"
        return (
            f"Object Lock: {s3.retention_mode} mode ({chosen}); contracts {s3.contract_retention_years} y, "
            f"risk letters {s3.waiver_retention_years} y, notices {s3.notice_retention_years} y, "
            f"checkpoints and evidence exports {self.audit.checkpoint_retention_years} y"
        )

    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    tasks: TaskSettings = Field(default_factory=TaskSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)

    @model_validator(mode="after")
    def _refuse_placeholders_outside_development(self) -> Self:
        if self.mode is Mode.DEVELOPMENT:
            return self
        problems = self.production_problems()
        if problems:
            raise ValueError("undersign refuses to start in production mode: " + "; ".join(problems))
        return self

    def production_problems(self) -> list[str]:
        """List every setting that is missing or still a placeholder, by its environment variable name."""
        problems: list[str] = []
        if not self.database.url:
            problems.append("UNDERSIGN_DATABASE__URL is not set")
        if not self.s3.endpoint_url:
            problems.append("UNDERSIGN_S3__ENDPOINT_URL is not set")
        for name, secret in (
            ("UNDERSIGN_S3__ACCESS_KEY", self.s3.access_key),
            ("UNDERSIGN_S3__SECRET_KEY", self.s3.secret_key),
        ):
            if secret.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
                problems.append(f"{name} is missing or a placeholder")
        if self.signing.pkcs12_path is None:
            problems.append("UNDERSIGN_SIGNING__PKCS12_PATH is not set (production needs a real sealing certificate)")
        elif self.signing.pkcs12_password.get_secret_value().strip().lower() in PLACEHOLDER_SECRETS:
            problems.append("UNDERSIGN_SIGNING__PKCS12_PASSWORD is missing or a placeholder")
        smtp_password = self.mail.smtp_password.get_secret_value().strip().lower()
        if self.mail.smtp_host and self.mail.smtp_user and smtp_password in PLACEHOLDER_SECRETS:
            problems.append("UNDERSIGN_MAIL__SMTP_PASSWORD is missing or a placeholder")
        if not self.signing.tsa_url:
            # Without a trusted time a seal cannot be extended to B-LT/B-LTA and proves nothing after its
            # certificate expires: production seals always carry an RFC 3161 timestamp.
            problems.append("UNDERSIGN_SIGNING__TSA_URL is not set (production seals need a timestamp authority)")
        if self.signing.tsa_roots_path is None:
            problems.append(
                "UNDERSIGN_SIGNING__TSA_ROOTS_PATH is not set (long-term seals validate the TSA against its roots)"
            )
        if not (self.signing.paper_copy_contact or "").strip():
            problems.append(
                "UNDERSIGN_SIGNING__PAPER_COPY_CONTACT is not set "
                "(the consent disclosure must name who sends paper copies)"
            )
        if not self.mail.smtp_host:
            problems.append("UNDERSIGN_MAIL__SMTP_HOST is not set (production mail must go to a relay)")
        if "@localhost" in self.mail.sender:
            problems.append("UNDERSIGN_MAIL__SENDER is still the placeholder noreply@localhost")
        problems.extend(self.dunning_problems())
        return problems

    def dunning_problems(self) -> list[str]:
        """List what payment notices would lack: a way to reach the billing contact and a way to pay."""
        d = self.dunning
        if not d.enabled:
            return []
        problems: list[str] = []
        if not (d.contact_email or d.contact_phone):
            problems.append(
                "UNDERSIGN_DUNNING__CONTACT_EMAIL or UNDERSIGN_DUNNING__CONTACT_PHONE is not set "
                "(payment notices must say how to reach the billing contact)"
            )
        if not (d.portal_url or d.bank_details):
            problems.append(
                "UNDERSIGN_DUNNING__PORTAL_URL or UNDERSIGN_DUNNING__BANK_DETAILS is not set "
                "(payment notices must say how to pay)"
            )
        return problems

    @property
    def database_url(self) -> str:
        """The database URL in force: the configured one, or the SQLite file in the data dir."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'undersign.db').resolve()}"

    @property
    def log_format(self) -> str:
        """The log format in force: the configured one, else JSON outside development."""
        return self.log.format or ("console" if self.mode is Mode.DEVELOPMENT else "json")

    @property
    def webhooks_may_reach_private(self) -> bool:
        """Whether webhooks may go to http:// and to loopback or private addresses (development only by default)."""
        if self.webhooks.allow_private_targets is not None:
            return self.webhooks.allow_private_targets
        return self.mode is Mode.DEVELOPMENT

    @property
    def outbox_dir(self) -> Path:
        """The folder that receives mail as .eml files when no SMTP relay is configured."""
        return self.mail.outbox_dir or self.data_dir / "outbox"
