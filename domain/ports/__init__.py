"""Ports: the Protocols through which services reach the edges (database, object store, mail, clock).

One module per concept; this package re-exports them all so a service can name what it needs in one
import. Services depend on these and nothing else from the outside world; ``storage/`` and ``adapters/``
implement them, and ``tests/fakes/`` holds in-memory fakes under the same module names.
"""

from domain.ports.api_keys import ApiKeyRepository
from domain.ports.audit import AuditLog, AuditTrail, CheckpointRepository
from domain.ports.billing import DunningRepository, InvoiceRepository
from domain.ports.blobs import BlobStore, Retention, StoredBlob
from domain.ports.clients import ClientRepository
from domain.ports.clock import Clock
from domain.ports.documents import DocumentListener, DocumentRepository, SignedDocumentRepository
from domain.ports.envelopes import DocumentPages, EnvelopeOutcomeListener, EnvelopeRepository
from domain.ports.mail import Attachment, Mailer, MailReceipt, OutgoingMail
from domain.ports.risks import RiskRepository
from domain.ports.tasks import JsonValue, TaskQueue
from domain.ports.templates import DocumentRenderer, TemplateCatalog, TemplateReviewRepository
from domain.ports.users import PasswordHasher, SecondFactor, UserRepository

__all__ = [
    "ApiKeyRepository",
    "Attachment",
    "AuditLog",
    "AuditTrail",
    "BlobStore",
    "CheckpointRepository",
    "ClientRepository",
    "Clock",
    "DocumentListener",
    "DocumentPages",
    "DocumentRenderer",
    "DocumentRepository",
    "DunningRepository",
    "EnvelopeOutcomeListener",
    "EnvelopeRepository",
    "InvoiceRepository",
    "JsonValue",
    "MailReceipt",
    "Mailer",
    "OutgoingMail",
    "PasswordHasher",
    "Retention",
    "RiskRepository",
    "SecondFactor",
    "SignedDocumentRepository",
    "StoredBlob",
    "TaskQueue",
    "TemplateCatalog",
    "TemplateReviewRepository",
    "UserRepository",
]
