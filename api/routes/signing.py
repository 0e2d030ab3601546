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
from markupsafe import Markup

from api.deps import CallerDep, CatalogsDep, KitDep, PageImagesDep, SigningServiceDep
from api.signing_csrf import FormGuardDep, SigningFormGuard
from api.signing_pages import render
from domain.embedding import COMPLETED, DECLINED, frame_ancestors
from domain.envelopes import OtpCheck
from domain.errors import InvalidInput, InvalidTransition, NotFound
from domain.languages import DEFAULT_LANGUAGE, ENGLISH, N_, MessageCatalogs, Translator
from services.signing import Caller, LinkInvalid, PagesPreparing, SigningService, pdf_file_name

router = APIRouter(tags=["signing"], include_in_schema=False)
_DATA_URL_PREFIX = "data:image/png;base64,"
# Page images are usually ready before a signer opens the link; while they are not, ask again soon.
PREPARING_RETRY_SECONDS = 2


def _page(
    name: str,
    status: int = 200,
    *,
    frame_origin: str | None = None,
    data_images: bool = False,
    words: Translator = ENGLISH,
    lang: str = DEFAULT_LANGUAGE,
    **context: Any,
) -> HTMLResponse:
    """Render a signing page with its security headers, in the words of ``words`` (``lang`` for ``<html>``).

    Only an embedded link's pages may be framed, and only by the one origin the link was issued for
    (CSP ``frame-ancestors``); every other page refuses framing (``'none'`` and ``X-Frame-Options``).
    """
    nonce = secrets.token_urlsafe(16)
    title = context.pop("title", None) or words.gettext("Sign a document")
    html = render(name, translator=words, lang=lang, nonce=nonce, title=title, embed_origin=frame_origin, **context)
    images = "'self' data:" if data_images else "'self'"
    headers = {
        "Cache-Control": "no-store",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": (
            f"default-src 'none'; img-src {images}; font-src 'self'; style-src 'nonce-{nonce}'; "
            f"script-src 'nonce-{nonce}'; form-action 'self'; base-uri 'none'; "
            f"frame-ancestors {frame_ancestors(frame_origin)}"
        ),
    }
    if frame_origin is None:
        headers["X-Frame-Options"] = "DENY"
    return HTMLResponse(html, status_code=status, headers=headers)


def _invalid(status: int = 404) -> HTMLResponse:
    # Bilingual (see api/signing_pages.py): who opened a bad link is not known.
    return _page("invalid", status=status, title="Link not valid / Lien non valide", script_font=False)


def _view_page(
    service: SigningService,
    token: str,
    caller: Caller,
    kit_font: bool,
    guard: SigningFormGuard,
    catalogs: MessageCatalogs,
    *,
    errors: list[str] | None = None,
    message: str = "",
    info: str = "",
    form: dict[str, str] | None = None,
    invalid: tuple[str, ...] = (),
    status: int = 200,
) -> HTMLResponse:
    try:
        view = service.view(token, caller)
    except LinkInvalid:
        return _invalid()
    words = catalogs.translator(view.signer.language)
    response = _page(
        view.step,
        status=status,
        words=words,
        lang=view.signer.language,
        invalid=invalid,
        frame_origin=view.frame_origin,
        title=view.envelope.title,
        token=token,
        envelope=view.envelope,
        signer=view.signer,
        party=view.party,
        disclosure_version=view.disclosure_version,
        disclosure_text=view.disclosure_text,
        page_count=view.page_count,
        preparing=view.preparing,
        # Messages from the services are English source strings: shown in the signer's language when catalogued.
        errors=[words.gettext(e) for e in errors or []],
        message=words.gettext(message) if message else "",
        info=info,
        form=form or {"full_name": view.signer.name, "title": view.signer.title, "method": "typed"},
        script_font=kit_font,
        csrf=guard.token_for(token),
    )
    guard.set_cookie(response, token, framed=view.frame_origin is not None)
    return response


def _forged(words: Translator, lang: str, frame_origin: str | None = None) -> HTMLResponse:
    """The page for a form that did not come from this link's signing page (or whose page is too old)."""
    return _page(
        "done",
        status=403,
        words=words,
        lang=lang,
        frame_origin=frame_origin,
        title=words.gettext("Please reload the page"),
        heading=words.gettext("This form could not be accepted"),
        text=words.gettext(
            "Nothing was recorded. Open the link in your e-mail again and repeat the step from that page."
        ),
        script_font=False,
    )


def _refused_input_page(
    service: SigningService,
    token: str,
    caller: Caller,
    kit_font: bool,
    guard: SigningFormGuard,
    catalogs: MessageCatalogs,
    exc: InvalidInput,
) -> HTMLResponse:
    """Show the signing page again with the reasons a form was refused (422), the fields marked invalid."""
    return _view_page(
        service,
        token,
        caller,
        kit_font,
        guard,
        catalogs,
        errors=[e.reason for e in exc.errors],
        message=exc.detail,
        invalid=tuple(e.pointer for e in exc.errors),
        status=422,
    )


def _signer_words(service: SigningService, catalogs: MessageCatalogs, token: str) -> tuple[Translator, str]:
    """The translator and language code of the link's signer (English when the link is not usable)."""
    lang = service.language_of(token)
    return catalogs.translator(lang), lang


@router.get("/sign/{token}", response_class=HTMLResponse)
def signing_page(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    catalogs: CatalogsDep,
) -> HTMLResponse:
    """Show the step the signer is at: consent, one-time code, or the document and the signature form."""
    return _view_page(service, token, caller, kit.script_font is not None, guard, catalogs)


@router.post("/sign/{token}/consent", response_model=None)
def consent(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    catalogs: CatalogsDep,
    version: Annotated[str, Form(max_length=64)] = "",
    agree: Annotated[str, Form(max_length=8)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Record consent to do business electronically, then continue."""
    if not guard.accepts(token, csrf):
        return _forged(*_signer_words(service, catalogs, token), service.frame_origin(token))
    try:
        service.consent(token, caller, agreed=agree == "yes", version=version)
    except LinkInvalid:
        return _invalid()
    except InvalidInput as exc:
        return _refused_input_page(service, token, caller, kit.script_font is not None, guard, catalogs, exc)
    return RedirectResponse(f"/sign/{token}", status_code=303, headers={"Referrer-Policy": "no-referrer"})


@router.post("/sign/{token}/code/send", response_class=HTMLResponse)
def send_code(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    catalogs: CatalogsDep,
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """E-mail a one-time code."""
    if not guard.accepts(token, csrf):
        return _forged(*_signer_words(service, catalogs, token), service.frame_origin(token))
    try:
        service.send_code(token, caller)
    except LinkInvalid:
        return _invalid()
    except InvalidTransition as exc:
        font = kit.script_font is not None
        return _view_page(service, token, caller, font, guard, catalogs, errors=[exc.detail], status=409)
    words, _lang = _signer_words(service, catalogs, token)
    info = words.gettext("We sent you a code.")
    return _view_page(service, token, caller, kit.script_font is not None, guard, catalogs, info=info)


@router.post("/sign/{token}/code", response_model=None)
def check_code(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    catalogs: CatalogsDep,
    code: Annotated[str, Form(max_length=12)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Check the one-time code."""
    if not guard.accepts(token, csrf):
        return _forged(*_signer_words(service, catalogs, token), service.frame_origin(token))
    try:
        result = service.check_code(token, caller, code)
    except LinkInvalid:
        return _invalid()
    if result is OtpCheck.OK:
        return RedirectResponse(f"/sign/{token}", status_code=303, headers={"Referrer-Policy": "no-referrer"})
    messages = {
        OtpCheck.WRONG: N_("That code is not right. Check the e-mail and try again."),
        OtpCheck.EXPIRED: N_("That code has expired or was never sent. Ask for a new one."),
        OtpCheck.LOCKED: N_("Too many wrong codes. Ask the sender to send the invitation again."),
    }
    font = kit.script_font is not None
    return _view_page(service, token, caller, font, guard, catalogs, errors=[messages[result]], status=422)


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


@router.get("/sign/{token}/read", response_class=HTMLResponse)
def reading_view(token: str, service: SigningServiceDep, caller: CallerDep, catalogs: CatalogsDep) -> HTMLResponse:
    """The document as text that reflows to the screen (after consent and any code); its delivery is recorded."""
    words, lang = _signer_words(service, catalogs, token)
    try:
        delivery = service.reading_view(token, caller)
    except LinkInvalid:
        return _invalid()
    return _page(
        "read",
        words=words,
        lang=lang,
        frame_origin=service.frame_origin(token),
        # The letterhead logo is an inline data: image of the document itself, nothing fetched.
        data_images=True,
        title=words.gettext("Read: %(title)s") % {"title": delivery.envelope.title},
        token=token,
        envelope=delivery.envelope,
        page_count=delivery.page_count,
        copy=delivery.copy,
        body=Markup(delivery.copy.body) if delivery.copy else "",  # noqa: S704 - our HTML writer's escaped output
        script_font=False,
    )


@router.get("/sign/{token}/document.pdf", response_class=Response)
def document_pdf(token: str, service: SigningServiceDep, caller: CallerDep) -> Response:
    """Exactly the PDF being signed, downloadable before signing (after consent and any code); recorded."""
    try:
        envelope, data = service.pdf(token, caller)
    except LinkInvalid:
        return _invalid()
    return Response(
        data,
        media_type="application/pdf",
        headers={
            "Cache-Control": "private, no-store",
            "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff",
            "Content-Disposition": f'attachment; filename="{pdf_file_name(envelope.title)}"',
        },
    )


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
    catalogs: CatalogsDep,
    full_name: Annotated[str, Form(max_length=200)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    attest: Annotated[str, Form(max_length=8)] = "",
    method: Annotated[str, Form(max_length=8)] = "typed",
    signature: Annotated[str, Form(max_length=1_500_000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Sign; the last signature enqueues completion (sealing), which a worker runs after the commit."""
    if not guard.accepts(token, csrf):
        return _forged(*_signer_words(service, catalogs, token), service.frame_origin(token))
    signer_id = service.signer_id(token)
    try:
        envelope = service.sign(
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
            catalogs,
            errors=[e.reason for e in exc.errors],
            message=exc.detail,
            invalid=tuple(e.pointer for e in exc.errors),
            status=422,
            form={"full_name": full_name, "title": title, "method": method},
        )
    # The request only validates and records; sealing is a task for a worker (see SigningService.sign).
    # The thank-you page is in the language of the signer just recorded (the link is used up now).
    lang = envelope.signer(signer_id).language if signer_id else DEFAULT_LANGUAGE
    words = catalogs.translator(lang)
    return _page(
        "done",
        words=words,
        lang=lang,
        title=words.gettext("Signed"),
        frame_origin=service.frame_origin(token),
        heading=words.gettext("Thank you, you have signed"),
        text=words.gettext(
            "Your signature is recorded. When every party has signed, the sealed copy is e-mailed to you."
        ),
        script_font=False,
        outcome={"type": COMPLETED, "envelope_id": envelope.id, "signer_id": signer_id},
    )


@router.post("/sign/{token}/decline", response_class=HTMLResponse)
def decline(
    token: str,
    service: SigningServiceDep,
    caller: CallerDep,
    kit: KitDep,
    guard: FormGuardDep,
    catalogs: CatalogsDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
) -> HTMLResponse:
    """Decline to sign, with a reason."""
    words, lang = _signer_words(service, catalogs, token)
    if not guard.accepts(token, csrf):
        return _forged(words, lang, service.frame_origin(token))
    signer_id = service.signer_id(token)
    try:
        envelope, notices = service.decline(token, caller, reason)
    except LinkInvalid:
        return _invalid()
    except InvalidInput as exc:
        return _refused_input_page(service, token, caller, kit.script_font is not None, guard, catalogs, exc)
    # Say only what really happened: each sentence about a mail depends on the relay having taken it.
    told = [words.gettext("Your answer and your reason are recorded.")]
    if notices.copy_to_signer.sent:
        told.append(
            words.gettext("A copy of your answer was e-mailed to %(email)s.")
            % {"email": notices.copy_to_signer.accepted[0]}
        )
    else:
        told.append(words.gettext("We could not e-mail you a copy of your answer."))
    if notices.to_sender.sent:
        told.append(words.gettext("The sender was e-mailed your answer and your reason."))
    else:
        told.append(words.gettext("The sender could not be e-mailed automatically; tell them yourself if you wish."))
    return _page(
        "done",
        words=words,
        lang=lang,
        title=words.gettext("Declined"),
        frame_origin=service.frame_origin(token),
        heading=words.gettext("You declined to sign"),
        text=" ".join(told),
        script_font=False,
        outcome={"type": DECLINED, "envelope_id": envelope.id, "signer_id": signer_id},
    )


@router.get("/signing-assets/script-font", response_model=None)
def script_font(kit: KitDep) -> Response:
    """The script font typed signatures are shown in (so the signer sees what the stamp will look like)."""
    if kit.script_font is None:
        return Response(status_code=404)
    return FileResponse(kit.script_font, media_type="font/otf", headers={"Cache-Control": "public, max-age=86400"})
