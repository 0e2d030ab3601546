"""``/sign/{token}``: the signer's pages (HTML), and the page images of the document.

Every answer (but a stored page image, kept private in the signer's browser) carries ``Cache-Control:
no-store`` and ``Referrer-Policy: no-referrer`` (the token in the URL must not leak to caches or other
sites) and a strict Content Security Policy. Any link that
cannot be used gets the same plain page, whatever the reason.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from api.deps import CallerDep, KitDep, PageImagesDep, SigningServiceDep
from api.signing_csrf import FormGuardDep, SigningFormGuard
from api.signing_pages import render
from domain.envelopes import OtpCheck
from domain.errors import InvalidInput, InvalidTransition, NotFound
from services.signing import Caller, LinkInvalid, PagesPreparing, SigningService

router = APIRouter(tags=["signing"], include_in_schema=False)
_DATA_URL_PREFIX = "data:image/png;base64,"
# Page images are usually ready before a signer opens the link; while they are not, ask again soon.
PREPARING_RETRY_SECONDS = 2


def _page(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    html = render(name, nonce=nonce, title=context.pop("title", "Sign a document"), **context)
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Cache-Control": "no-store",
            "Referrer-Policy": "no-referrer",
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": (
                f"default-src 'none'; img-src 'self'; font-src 'self'; style-src 'nonce-{nonce}'; "
                f"script-src 'nonce-{nonce}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
            ),
        },
    )


def _invalid(status: int = 404) -> HTMLResponse:
    return _page("invalid", status=status, title="Link not valid", script_font=False)


def _view_page(
    service: SigningService,
    token: str,
    caller: Caller,
    kit_font: bool,
    guard: SigningFormGuard,
    *,
    errors: list[str] | None = None,
    message: str = "",
    info: str = "",
    form: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    try:
        view = service.view(token, caller)
    except LinkInvalid:
        return _invalid()
    response = _page(
        view.step,
        status=status,
        title=view.envelope.title,
        token=token,
        envelope=view.envelope,
        signer=view.signer,
        party=view.party,
        disclosure_version=view.disclosure_version,
        disclosure_text=view.disclosure_text,
        page_count=view.page_count,
        preparing=view.preparing,
        errors=errors or [],
        message=message,
        info=info,
        form=form or {"full_name": view.signer.name, "title": view.signer.title, "method": "typed"},
        script_font=kit_font,
        csrf=guard.token_for(token),
    )
    guard.set_cookie(response, token)
    return response


def _forged() -> HTMLResponse:
    """The page for a form that did not come from this link's signing page (or whose page is too old)."""
    return _page(
        "done",
        status=403,
        title="Please reload the page",
        heading="This form could not be accepted",
        text="Nothing was recorded. Open the link in your e-mail again and repeat the step from that page.",
        script_font=False,
    )


def _refused_input_page(
    service: SigningService, token: str, caller: Caller, kit_font: bool, guard: SigningFormGuard, exc: InvalidInput
) -> HTMLResponse:
    """Show the signing page again with the reasons a form was refused (422)."""
    return _view_page(
        service,
        token,
        caller,
        kit_font,
        guard,
        errors=[e.reason for e in exc.errors],
        message=exc.detail,
        status=422,
    )


@router.get("/sign/{token}", response_class=HTMLResponse)
def signing_page(
    token: str, service: SigningServiceDep, caller: CallerDep, kit: KitDep, guard: FormGuardDep
) -> HTMLResponse:
    """Show the step the signer is at: consent, one-time code, or the document and the signature form."""
    return _view_page(service, token, caller, kit.script_font is not None, guard)


@router.post("/sign/{token}/consent", response_model=None)
def consent(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    version: Annotated[str, Form(max_length=64)] = "",
    agree: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record consent to do business electronically, then continue."""
    if not guard.accepts(token, csrf):
        return _forged()
    try:
        service.consent(token, caller, agreed=agree == "yes", version=version)
    except LinkInvalid:
        return _invalid()
    except InvalidInput as exc:
        return _refused_input_page(service, token, caller, kit.script_font is not None, guard, exc)
    return RedirectResponse(f"/sign/{token}", status_code=303, headers={"Referrer-Policy": "no-referrer"})


@router.post("/sign/{token}/code/send", response_class=HTMLResponse)
def send_code(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """E-mail a one-time code."""
    if not guard.accepts(token, csrf):
        return _forged()
    try:
        service.send_code(token, caller)
    except LinkInvalid:
        return _invalid()
    except InvalidTransition as exc:
        return _view_page(service, token, caller, kit.script_font is not None, guard, errors=[exc.detail], status=409)
    return _view_page(service, token, caller, kit.script_font is not None, guard, info="We sent you a code.")


@router.post("/sign/{token}/code", response_model=None)
def check_code(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    code: Annotated[str, Form(max_length=12)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the one-time code."""
    if not guard.accepts(token, csrf):
        return _forged()
    try:
        result = service.check_code(token, caller, code)
    except LinkInvalid:
        return _invalid()
    if result is OtpCheck.OK:
        return RedirectResponse(f"/sign/{token}", status_code=303, headers={"Referrer-Policy": "no-referrer"})
    messages = {
        OtpCheck.WRONG: "That code is not right. Check the e-mail and try again.",
        OtpCheck.EXPIRED: "That code has expired or was never sent. Ask for a new one.",
        OtpCheck.LOCKED: "Too many wrong codes. Ask the sender to send the invitation again.",
    }
    return _view_page(service, token, caller, kit.script_font is not None, guard, errors=[messages[result]], status=422)


@router.get("/sign/{token}/pages/{index}.png", response_class=Response)
def page_image(token: str, index: int, images: PageImagesDep, caller: CallerDep, request: Request) -> Response:
    """One page of the document as PNG (only after consent); its first delivery is recorded as seen.

    The images are rendered once per sent PDF by a task: until they are stored the answer is ``202``
    with ``Retry-After``. A stored page never changes, so the signer's browser may keep it (``private``:
    never a shared cache, the URL carries the token) and revalidate it by ``ETag``.
    """
    try:
        data, etag = images(token, index, caller)
    except PagesPreparing:
        return Response(
            status_code=202, headers={"Cache-Control": "no-store", "Retry-After": str(PREPARING_RETRY_SECONDS)}
        )
    except NotFound:
        return Response(status_code=404, headers={"Cache-Control": "no-store"})
    headers = {
        "Cache-Control": "private, max-age=86400, immutable",
        "ETag": etag,
        "Referrer-Policy": "no-referrer",
    }
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type="image/png", headers=headers)


def _drawn_png(signature: str) -> bytes | None:
    if not signature.startswith(_DATA_URL_PREFIX):
        return None
    try:
        return base64.b64decode(signature[len(_DATA_URL_PREFIX) :], validate=True)
    except (binascii.Error, ValueError):
        return None


@router.post("/sign/{token}/sign", response_class=HTMLResponse)
def sign(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    full_name: Annotated[str, Form(max_length=200)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    attest: Annotated[str, Form(max_length=8)] = "",
    method: Annotated[str, Form(max_length=8)] = "typed",
    signature: Annotated[str, Form(max_length=1_500_000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Sign; the last signature enqueues completion (sealing), which a worker runs after the commit."""
    if not guard.accepts(token, csrf):
        return _forged()
    try:
        service.sign(
            token,
            caller,
            full_name=full_name,
            title=title,
            attested=attest == "yes",
            method=method,
            drawn_png=_drawn_png(signature) if method == "drawn" else None,
        )
    except LinkInvalid:
        return _invalid()
    except InvalidTransition:
        return _invalid(409)
    except InvalidInput as exc:
        return _view_page(
            service,
            token,
            caller,
            kit.script_font is not None,
            guard,
            errors=[e.reason for e in exc.errors],
            message=exc.detail,
            status=422,
            form={"full_name": full_name, "title": title, "method": method},
        )
    # The request only validates and records; sealing is a task for a worker (see SigningService.sign).
    return _page(
        "done",
        title="Signed",
        heading="Thank you, you have signed",
        text="Your signature is recorded. When every party has signed, the sealed copy is e-mailed to you.",
        script_font=False,
    )


@router.post("/sign/{token}/decline", response_class=HTMLResponse)
def decline(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Decline to sign, with a reason."""
    if not guard.accepts(token, csrf):
        return _forged()
    try:
        service.decline(token, caller, reason)
    except LinkInvalid:
        return _invalid()
    except InvalidInput as exc:
        return _refused_input_page(service, token, caller, kit.script_font is not None, guard, exc)
    return _page(
        "done",
        title="Declined",
        heading="You declined to sign",
        text="Your answer and your reason are recorded, and the sender has been told.",
        script_font=False,
    )


@router.get("/signing-assets/script-font", response_model=None)
def script_font(kit: KitDep) -> Response:
    """The script font typed signatures are shown in (so the signer sees what the stamp will look like)."""
    if kit.script_font is None:
        return Response(status_code=404)
    return FileResponse(kit.script_font, media_type="font/otf", headers={"Cache-Control": "public, max-age=86400"})
