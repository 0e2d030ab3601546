"""The signed-in person's own account: who they are, and the authenticator app as a second factor."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup

from adapters.totp import qr_svg
from api.console import cookies
from api.console.templating import render
from api.deps import ConsoleUser, SignInServiceDep, UserServiceDep
from domain.actor import Actor
from domain.errors import InvalidInput
from services.sign_in import SignInService, TotpEnrolment, Where

router = APIRouter()


def _page(
    request: Request,
    actor: Actor,
    users: UserServiceDep,
    sign_in: SignInService,
    *,
    status: int = 200,
    errors: list[str] | None = None,
    enrolment: TotpEnrolment | None = None,
) -> HTMLResponse:
    assert actor.user_id is not None
    user = users.get(actor.user_id)
    pending = enrolment or sign_in.enrolment(user)
    return render(
        request,
        "account.html",
        status=status,
        title="My account",
        user=user,
        errors=errors or [],
        enrolment=pending,
        # segno writes the SVG from the URI alone; nothing of it comes from a person's input.
        qr=Markup(qr_svg(pending.uri)) if pending else None,  # noqa: S704
    )


@router.get("/account", response_class=HTMLResponse)
def account(request: Request, actor: ConsoleUser, users: UserServiceDep, sign_in: SignInServiceDep) -> HTMLResponse:
    """Show the person's account and whether sign-in asks for a code."""
    return _page(request, actor, users, sign_in)


@router.post("/account/totp/start", response_class=HTMLResponse)
def start_totp(request: Request, actor: ConsoleUser, users: UserServiceDep, sign_in: SignInServiceDep) -> HTMLResponse:
    """Create a new authenticator secret and show it (QR code and text) with the form to confirm it."""
    assert actor.user_id is not None
    enrolment = sign_in.start_totp(users.get(actor.user_id))
    return _page(request, actor, users, sign_in, enrolment=enrolment)


@router.post("/account/totp/confirm", response_class=HTMLResponse)
def confirm_totp(
    request: Request,
    actor: ConsoleUser,
    users: UserServiceDep,
    sign_in: SignInServiceDep,
    code: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Turn the second factor on with a first valid code from the app."""
    assert actor.user_id is not None
    try:
        sign_in.confirm_totp(users.get(actor.user_id), code, Where(ip=actor.ip, user_agent=actor.user_agent))
    except InvalidInput as bad:
        return _page(request, actor, users, sign_in, status=422, errors=[bad.detail])
    response = RedirectResponse("/console/account", status_code=303)
    cookies.add_flash(request, response, "From now on, signing in asks for a code from your authenticator app.")
    return response
