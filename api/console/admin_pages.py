"""The admin's pages: users, API keys, missing settings and the template library's review status.

Users: invite, change roles, disable, send a new link. API keys: create (shown once), revoke.
Templates: each template's current text (version and digest) and counsel's review of that exact
text; an admin marks the text reviewed (audited as ``template.reviewed``), which takes the draft
mark off the documents made from it until the text changes.

Every route requires ``keys:manage`` on the server (``ConsoleAdminDep``); the services check it again.
A refused change is shown on the page with its reason and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.console import cookies
from api.console.templating import render
from api.deps import (
    ApiKeyServiceDep,
    ConsoleAdminDep,
    ConsoleTemplateReviewer,
    RuntimeDep,
    SessionDep,
    TemplateReviewServiceDep,
    UserServiceDep,
)
from domain.actor import Actor
from domain.errors import Conflict, InvalidInput, NotFound
from domain.roles import Role
from services.users import UserService
from undersign.settings import Settings

router = APIRouter(prefix="/admin")
_USERS = "/console/admin/users"
_KEYS = "/console/admin/keys"
_TEMPLATES = "/console/admin/templates"


def _back(request: Request, target: str, message: str, *, error: bool = False) -> RedirectResponse:
    response = RedirectResponse(target, status_code=303)
    cookies.add_flash(request, response, message, error=error)
    return response


def _users_page(
    request: Request,
    users: UserService,
    actor: Actor,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    form: Mapping[str, object] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "admin/users.html",
        status=status,
        title="Users",
        users=users.everyone(by=actor),
        roles=list(Role),
        errors=errors or [],
        form=form or {"roles": []},
        now=users.now(),
    )


@router.get("/users", response_class=HTMLResponse)
def users_page(request: Request, actor: ConsoleAdminDep, users: UserServiceDep) -> HTMLResponse:
    """List the users and show the invitation form."""
    return _users_page(request, users, actor)


@router.post("/users", response_class=HTMLResponse)
def invite(
    request: Request,
    actor: ConsoleAdminDep,
    users: UserServiceDep,
    email: Annotated[str, Form(max_length=320)] = "",
    display_name: Annotated[str, Form(max_length=300)] = "",
    title: Annotated[str, Form(max_length=300)] = "",
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Invite a user: they get an e-mail with a one-time link to choose a password."""
    try:
        issued = users.invite(email, display_name, title, roles or [], by=actor)
    except (InvalidInput, Conflict) as bad:
        form = {"email": email, "display_name": display_name, "title": title, "roles": roles or []}
        return _users_page(request, users, actor, status=bad.status, errors=[bad.detail], form=form)
    return _back(request, _USERS, f"Invitation sent to {issued.user.email}.")


@router.post("/users/{user_id}/roles")
def change_roles(
    request: Request,
    user_id: str,
    actor: ConsoleAdminDep,
    users: UserServiceDep,
    roles: Annotated[list[str] | None, Form()] = None,
) -> Response:
    """Give a user exactly the ticked roles."""
    try:
        user = users.change_roles(user_id, roles or [], by=actor)
    except (InvalidInput, Conflict, NotFound) as bad:
        return _back(request, _USERS, bad.detail, error=True)
    return _back(request, _USERS, f"{user.display_name} now has the roles: {', '.join(user.roles)}.")


@router.post("/users/{user_id}/disable")
def disable(request: Request, user_id: str, actor: ConsoleAdminDep, users: UserServiceDep) -> Response:
    """Disable a user: their sessions end and their API keys stop working."""
    try:
        user = users.set_disabled(user_id, True, by=actor)
    except (Conflict, NotFound) as bad:
        return _back(request, _USERS, bad.detail, error=True)
    return _back(request, _USERS, f"{user.display_name} is disabled; their sessions and keys no longer work.")


@router.post("/users/{user_id}/enable")
def enable(request: Request, user_id: str, actor: ConsoleAdminDep, users: UserServiceDep) -> Response:
    """Enable a disabled user again."""
    try:
        user = users.set_disabled(user_id, False, by=actor)
    except (Conflict, NotFound) as bad:
        return _back(request, _USERS, bad.detail, error=True)
    return _back(request, _USERS, f"{user.display_name} is enabled again.")


@router.post("/users/{user_id}/link")
def new_link(request: Request, user_id: str, actor: ConsoleAdminDep, users: UserServiceDep) -> Response:
    """E-mail a user a new one-time link to set their password."""
    try:
        issued = users.reissue_link(user_id, by=actor)
    except (Conflict, NotFound) as bad:
        return _back(request, _USERS, bad.detail, error=True)
    return _back(request, _USERS, f"A new link was sent to {issued.user.email}.")


def _keys_page(
    request: Request,
    keys: ApiKeyServiceDep,
    users: UserService,
    actor: Actor,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    created: tuple[str, str] | None = None,
) -> HTMLResponse:
    everyone = users.everyone(by=actor)
    return render(
        request,
        "admin/keys.html",
        status=status,
        title="API keys",
        keys=keys.list(),
        users=[u for u in everyone if u.active],
        names={u.id: u.display_name for u in everyone},
        roles=list(Role),
        errors=errors or [],
        created=created,
    )


@router.get("/keys", response_class=HTMLResponse)
def keys_page(request: Request, actor: ConsoleAdminDep, keys: ApiKeyServiceDep, users: UserServiceDep) -> HTMLResponse:
    """List the API keys (never the keys themselves) and show the form to create one."""
    return _keys_page(request, keys, users, actor)


@router.post("/keys", response_class=HTMLResponse)
def create_key(
    request: Request,
    actor: ConsoleAdminDep,
    keys: ApiKeyServiceDep,
    users: UserServiceDep,
    name: Annotated[str, Form(max_length=100)] = "",
    owner: Annotated[str, Form(max_length=100)] = "",
) -> HTMLResponse:
    """Create a key for a user (``user:<id>``) or an integration with one role (``role:<role>``); show it once."""
    kind, _, value = owner.partition(":")
    try:
        if kind == "user":
            _record, key = keys.create_for_user(name, value, by=actor)
        elif kind == "role" and value in {r.value for r in Role}:
            _record, key = keys.create(name, Role(value), by=actor)
        else:
            raise InvalidInput("Choose whom the key belongs to: a user, or an integration with a role.")
    except (InvalidInput, Conflict, NotFound) as bad:
        return _keys_page(request, keys, users, actor, status=bad.status, errors=[bad.detail])
    return _keys_page(request, keys, users, actor, status=201, created=(name, key))


@router.post("/keys/{name}/revoke")
def revoke_key(request: Request, name: str, actor: ConsoleAdminDep, keys: ApiKeyServiceDep) -> Response:
    """Revoke a key: requests with it are refused from now on."""
    try:
        keys.revoke(name, by=actor)
    except NotFound as bad:
        return _back(request, _KEYS, bad.detail, error=True)
    return _back(request, _KEYS, f"The key {name} is revoked.")


def missing_settings(settings: Settings) -> list[tuple[str, str]]:
    """Return what a production deployment still lacks, by area, in the words of the setting to change."""
    areas = (
        ("UNDERSIGN_MAIL", "Mail sender"),
        ("UNDERSIGN_SIGNING__TSA", "Timestamp authority (TSA)"),
        ("UNDERSIGN_DUNNING", "Payment details on notices"),
        ("UNDERSIGN_SIGNING", "Signing"),
        ("UNDERSIGN_S3", "Object store"),
        ("UNDERSIGN_DATABASE", "Database"),
    )
    found: list[tuple[str, str]] = []
    for problem in settings.production_problems():
        area = next((label for prefix, label in areas if problem.startswith(prefix)), "Other")
        found.append((area, problem))
    if not settings.console.oidc_configured:
        found.append(
            (
                "Single sign-on (optional)",
                "UNDERSIGN_CONSOLE__OIDC_ISSUER, UNDERSIGN_CONSOLE__OIDC_CLIENT_ID and "
                "UNDERSIGN_CONSOLE__OIDC_CLIENT_SECRET are not set "
                "(staff sign in with passwords only)",
            )
        )
    return found


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, _actor: ConsoleAdminDep, runtime: RuntimeDep) -> HTMLResponse:
    """List the settings that are missing or still placeholders (mail sender, TSA, payment details...)."""
    settings = runtime.settings
    return render(
        request,
        "admin/settings.html",
        title="Settings",
        missing=missing_settings(settings),
        mode=settings.mode.value,
    )


@router.get("/templates", response_class=HTMLResponse)
def templates_page(request: Request, _actor: ConsoleAdminDep, reviews: TemplateReviewServiceDep) -> HTMLResponse:
    """List the template library: each template's version, the digest of its text, and counsel's review of it."""
    return render(request, "admin/templates.html", title="Templates", rows=reviews.library())


@router.post("/templates/review")
def mark_reviewed(
    request: Request,
    actor: ConsoleTemplateReviewer,
    reviews: TemplateReviewServiceDep,
    session: SessionDep,
    template_id: Annotated[str, Form(max_length=120)] = "",
    content_sha256: Annotated[str, Form(max_length=64)] = "",
    note: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    """Record that counsel reviewed the template text shown on the page (its digest); the draft mark goes."""
    try:
        review = reviews.mark_reviewed(actor, template_id, content_sha256, note)
    except (InvalidInput, Conflict, NotFound) as bad:
        session.rollback()
        return _back(request, _TEMPLATES, bad.detail, error=True)
    return _back(
        request,
        _TEMPLATES,
        f"{template_id} version {review.template_version} is marked reviewed: its documents are no longer drafts.",
    )
