"""The API's dependencies as ``Annotated`` aliases: what a route parameter means, nothing else.

The functions behind them live in ``api.providers``; the objects they hand out are built by the
runtime (``undersign.runtime``) and the per-request service factory (``undersign.service_factory``).
A write route names the permission it needs (``...WriterDep``): it is checked before the body is
validated, so a caller who may not write gets 403 whatever they send.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from adapters.oidc import OidcClient
from adapters.signing_kit import SigningKit
from api import providers
from domain.actor import Actor
from domain.languages import MessageCatalogs
from domain.ports import TemplateCatalog
from domain.roles import Permission
from services.api_keys import ApiKeyService
from services.audit import AuditService
from services.clients import ClientService
from services.documents import DocumentService
from services.dunning import DunningService
from services.envelopes import EnvelopeService
from services.external_ids import ExternalIdService
from services.invoice_imports import InvoiceImporter
from services.invoices import InvoiceService
from services.legal_holds import LegalHoldService
from services.retention import RetentionService
from services.risks import RiskService
from services.sign_in import SignInService
from services.signing import Caller, SigningService
from services.template_reviews import TemplateReviewService
from services.users import UserService
from services.verification import VerificationService
from services.webhooks import WebhookService
from undersign.evidence_export import EvidenceExporter
from undersign.runtime import Runtime

RuntimeDep = Annotated[Runtime, Depends(providers.get_runtime)]
SessionDep = Annotated[Session, Depends(providers.unit_of_work_for_request, scope="function")]

# Who acts: any valid key; a key that may read; a key that may do one kind of write.
ActorDep = Annotated[Actor, Depends(providers.authenticated_actor, scope="function")]
ReaderDep = Annotated[Actor, Depends(providers.reading_actor, scope="function")]
ClientWriterDep = Annotated[Actor, providers.permitted(Permission.CLIENTS_WRITE)]
DocumentWriterDep = Annotated[
    Actor, providers.permitted(Permission.CONTRACTS_WRITE, Permission.WAIVERS_WRITE, Permission.NOTICES_WRITE)
]
EnvelopeWriterDep = Annotated[Actor, providers.permitted(Permission.ENVELOPES_WRITE)]
RiskWriterDep = Annotated[Actor, providers.permitted(Permission.RISKS_WRITE)]
InvoiceWriterDep = Annotated[Actor, providers.permitted(Permission.INVOICES_WRITE)]
DunningApproverDep = Annotated[Actor, providers.permitted(Permission.DUNNING_APPROVE)]
DunningRunActorDep = Annotated[Actor, Depends(providers.dunning_run_session, scope="function")]
CheckpointerDep = Annotated[Actor, providers.permitted(Permission.AUDIT_CHECKPOINT)]
LegalHolderDep = Annotated[Actor, providers.permitted(Permission.LEGAL_HOLD)]
WebhookAdminDep = Annotated[Actor, providers.permitted(Permission.KEYS_MANAGE)]

# The services of this request.
ClientServiceDep = Annotated[ClientService, Depends(providers.client_service, scope="function")]
DocumentServiceDep = Annotated[DocumentService, Depends(providers.document_service, scope="function")]
TemplateCatalogDep = Annotated[TemplateCatalog, Depends(providers.template_catalog)]
RiskServiceDep = Annotated[RiskService, Depends(providers.risk_service, scope="function")]
AuditServiceDep = Annotated[AuditService, Depends(providers.audit_service, scope="function")]
InvoiceServiceDep = Annotated[InvoiceService, Depends(providers.invoice_service, scope="function")]
DunningServiceDep = Annotated[DunningService, Depends(providers.dunning_service, scope="function")]
DunningRunnerDep = Annotated[providers.DunningRunner, Depends(providers.dunning_runner)]
EnvelopeServiceDep = Annotated[EnvelopeService, Depends(providers.envelope_service, scope="function")]
SigningServiceDep = Annotated[SigningService, Depends(providers.signing_service, scope="function")]
VerificationServiceDep = Annotated[VerificationService, Depends(providers.verification_service, scope="function")]
LegalHoldServiceDep = Annotated[LegalHoldService, Depends(providers.legal_hold_service, scope="function")]
RetentionServiceDep = Annotated[RetentionService, Depends(providers.retention_service, scope="function")]
WebhookServiceDep = Annotated[WebhookService, Depends(providers.webhook_service, scope="function")]
ExternalIdServiceDep = Annotated[ExternalIdService, Depends(providers.external_id_service, scope="function")]
EvidenceExporterDep = Annotated[EvidenceExporter, Depends(providers.evidence_exporter, scope="function")]

# The signer's side: the signing kit, where the request came from, sealing after the last signature.
KitDep = Annotated[SigningKit, Depends(providers.signing_kit)]
CatalogsDep = Annotated[MessageCatalogs, Depends(providers.message_catalogs)]
CallerDep = Annotated[Caller, Depends(providers.signer_caller)]
PageImagesDep = Annotated[providers.PageImages, Depends(providers.page_images)]

# The staff console: the signed-in user (or a redirect to sign in), their session, and its services.
ConsoleUser = Annotated[Actor, Depends(providers.console_user, scope="function")]
ConsoleSessionDep = Annotated[providers.SignedIn | None, Depends(providers.console_session, scope="function")]
ConsoleAdminDep = Annotated[Actor, providers.console_permitted(Permission.KEYS_MANAGE)]
UserServiceDep = Annotated[UserService, Depends(providers.user_service, scope="function")]
SignInServiceDep = Annotated[SignInService, Depends(providers.sign_in_service, scope="function")]
TemplateReviewServiceDep = Annotated[
    TemplateReviewService, Depends(providers.template_review_service, scope="function")
]
ConsoleTemplateReviewer = Annotated[Actor, providers.console_permitted(Permission.TEMPLATES_REVIEW)]
ApiKeyServiceDep = Annotated[ApiKeyService, Depends(providers.api_key_service, scope="function")]
OidcClientDep = Annotated[OidcClient | None, Depends(providers.oidc_client)]
console_permitted = providers.console_permitted
console_csrf = providers.console_csrf

# The console's role pages (sales, tech, billing, audit): a form's fields, and the permission of each write.
ConsoleForm = Annotated[dict[str, str], Depends(providers.console_form)]
ConsoleClientWriter = Annotated[Actor, providers.console_permitted(Permission.CLIENTS_WRITE)]
ConsoleDocumentWriter = Annotated[Actor, providers.console_permitted(Permission.CONTRACTS_WRITE)]
ConsoleEnvelopeWriter = Annotated[Actor, providers.console_permitted(Permission.ENVELOPES_WRITE)]
ConsoleWaiverSender = Annotated[Actor, providers.console_permitted(Permission.WAIVERS_WRITE)]
ConsoleRiskWriter = Annotated[Actor, providers.console_permitted(Permission.RISKS_WRITE)]
ConsoleInvoiceWriter = Annotated[Actor, providers.console_permitted(Permission.INVOICES_WRITE)]
ConsoleDunningApprover = Annotated[Actor, providers.console_permitted(Permission.DUNNING_APPROVE)]
ConsoleDunningPlanner = Annotated[Actor, providers.console_permitted(Permission.DUNNING_RUN)]
InvoiceImporterDep = Annotated[InvoiceImporter, Depends(providers.invoice_importer, scope="function")]
