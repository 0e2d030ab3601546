"""``/v1/webhooks``: register endpoints, rotate secrets, read the delivery log, replay deliveries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from api.deps import ReaderDep, WebhookAdminDep, WebhookServiceDep
from api.schemas.webhooks import AttemptOut, DeliveryOut, EndpointOut, EndpointWithSecretOut
from domain.webhooks.endpoints import DeliveryStatus, EndpointDraft, EndpointPatch
from domain.webhooks.events import EVENT_TYPES

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])


@router.get("/event-types")
def event_types(_actor: ReaderDep) -> dict[str, str]:
    """Every event type an endpoint can subscribe to, with what it means."""
    return EVENT_TYPES


@router.post("/endpoints", status_code=status.HTTP_201_CREATED, response_model=EndpointWithSecretOut)
def register(
    draft: EndpointDraft, actor: WebhookAdminDep, service: WebhookServiceDep, response: Response
) -> EndpointWithSecretOut:
    """Register a receiver URL for some event types; the answer shows its signing secret once."""
    endpoint, secret = service.register(actor, draft)
    response.headers["Location"] = f"/v1/webhooks/endpoints/{endpoint.id}"
    return EndpointWithSecretOut(**EndpointOut.of(endpoint).model_dump(), secret=secret)


@router.get("/endpoints", response_model=list[EndpointOut])
def list_endpoints(actor: WebhookAdminDep, service: WebhookServiceDep) -> list[EndpointOut]:
    """List every endpoint, enabled or not."""
    return [EndpointOut.of(e) for e in service.all()]


@router.get("/endpoints/{endpoint_id}", response_model=EndpointOut)
def get_endpoint(endpoint_id: str, actor: WebhookAdminDep, service: WebhookServiceDep) -> EndpointOut:
    """Return one endpoint."""
    return EndpointOut.of(service.get(endpoint_id))


@router.patch("/endpoints/{endpoint_id}", response_model=EndpointOut)
def change_endpoint(
    endpoint_id: str, patch: EndpointPatch, actor: WebhookAdminDep, service: WebhookServiceDep
) -> EndpointOut:
    """Change the URL, event types or owner, or disable / re-enable the endpoint."""
    return EndpointOut.of(service.change(actor, endpoint_id, patch))


@router.post("/endpoints/{endpoint_id}/rotate-secret", response_model=EndpointWithSecretOut)
def rotate_secret(endpoint_id: str, actor: WebhookAdminDep, service: WebhookServiceDep) -> EndpointWithSecretOut:
    """Make a new signing secret; messages are signed with the old one too for 24 hours."""
    endpoint, secret = service.rotate_secret(actor, endpoint_id)
    return EndpointWithSecretOut(**EndpointOut.of(endpoint).model_dump(), secret=secret)


@router.get("/endpoints/{endpoint_id}/deliveries", response_model=list[DeliveryOut])
def deliveries(
    endpoint_id: str,
    actor: WebhookAdminDep,
    service: WebhookServiceDep,
    state: Annotated[DeliveryStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryOut]:
    """The endpoint's deliveries, newest first, optionally only pending, delivered or failed ones."""
    return [DeliveryOut.of(d) for d in service.deliveries(endpoint_id, state, limit)]


@router.get("/endpoints/{endpoint_id}/attempts", response_model=list[AttemptOut])
def attempts(
    endpoint_id: str,
    actor: WebhookAdminDep,
    service: WebhookServiceDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[AttemptOut]:
    """The delivery log: every request made to the endpoint, its answer and its timing, newest first."""
    return [AttemptOut.of(a) for a in service.attempts(endpoint_id, limit)]


@router.post("/deliveries/{delivery_id}/replay", status_code=status.HTTP_202_ACCEPTED, response_model=DeliveryOut)
def replay(delivery_id: str, actor: WebhookAdminDep, service: WebhookServiceDep) -> DeliveryOut:
    """Send a message again (same webhook-id) as a new delivery, due now."""
    return DeliveryOut.of(service.replay(actor, delivery_id))


@router.post(
    "/endpoints/{endpoint_id}/replay-failed", status_code=status.HTTP_202_ACCEPTED, response_model=list[DeliveryOut]
)
def replay_failed(endpoint_id: str, actor: WebhookAdminDep, service: WebhookServiceDep) -> list[DeliveryOut]:
    """Replay every delivery of the endpoint that was given up."""
    return [DeliveryOut.of(d) for d in service.replay_failed(actor, endpoint_id)]
