"""The server-rendered HTML of the signing page: consent, one-time code, document and signature, done.

Plain HTML forms that work without JavaScript for everything except drawing; a little script adds
the drawing canvas and the typed-signature preview. Every control has a visible label, errors are
announced (``role="alert"``) and mark their fields ``aria-invalid``, and the layout is one column that
fits a phone. Drawing needs a pointer: the typed signature is the keyboard and screen-reader way to
sign, and the drawing area says so. Autoescaping is on: names, titles and messages come from senders
and signers. The words come from the message catalogues in the signer's language (``{% trans %}``
and ``_()``; ``tools/i18n_catalogues.py`` extracts them from :data:`TEMPLATES`).
"""

from __future__ import annotations

from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape

from domain.languages import DEFAULT_LANGUAGE, ENGLISH, Translator

_BASE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">{% if preparing %}<meta http-equiv="refresh" content="3">{% endif %}
<title>{{ title }}</title>
<style nonce="{{ nonce }}">
{% if script_font %}@font-face { font-family: "Dancing Script";
  src: url("/signing-assets/script-font") format("opentype"); }{% endif %}
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, "DejaVu Sans", sans-serif; color: #1b1b1b; background: #f4f5f7; }
main { max-width: 860px; margin: 0 auto; padding: 16px; }
h1 { font-size: 1.4rem; margin: 8px 0 12px; }
h2 { font-size: 1.1rem; margin: 20px 0 8px; }
.card { background: #fff; border: 1px solid #d8dbe0; border-radius: 8px; padding: 16px; margin: 12px 0; }
.pages img { display: block; width: 100%; height: auto; border: 1px solid #ccc; margin: 0 0 12px; background: #fff; }
/* Space for a page not loaded yet (lazy): a Letter-shaped box until the image's own shape is known. */
.pages img { aspect-ratio: auto 8.5 / 11; }
label { display: block; font-weight: 600; margin: 12px 0 4px; }
label.inline { display: flex; gap: 8px; align-items: flex-start; font-weight: 400; }
input[type=text], textarea { width: 100%; font: inherit; padding: 10px; border: 1px solid #888; border-radius: 6px; }
input[type=checkbox], input[type=radio] { width: 22px; height: 22px; flex: none; margin-top: 2px; }
button { font: inherit; font-weight: 600; padding: 12px 20px; border-radius: 6px; border: 0; cursor: pointer;
         background: #1f3a5f; color: #fff; min-height: 44px; }
button.secondary { background: #e6e8eb; color: #1b1b1b; }
button.danger { background: #8a1c1c; }
fieldset { border: 1px solid #d8dbe0; border-radius: 6px; padding: 8px 12px; }
.typed-preview { font-family: "Dancing Script", cursive; font-size: 2.2rem; min-height: 3rem; color: #10206b; }
canvas { width: 100%; height: 180px; border: 1px dashed #666; border-radius: 6px; touch-action: none;
         background: #fff; }
.alert { border-left: 4px solid #8a1c1c; background: #fdecec; padding: 8px 12px; }
.note { color: #444; font-size: .95rem; }
.hidden { display: none; }
.doc-tools p { margin: 4px 0; }
.doc-tools a, .end-marker a { font-weight: 600; color: #1f3a5f; }
.hash { font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
.end-marker { border-top: 2px solid #1f3a5f; padding-top: 8px; font-weight: 600; }
/* The reading view: the document's own HTML reflowed to the screen, body text never under 16 px. */
.reading { background: #fff; border: 1px solid #d8dbe0; border-radius: 8px; padding: 16px;
           font: 1rem/1.6 Georgia, "DejaVu Serif", serif; overflow-wrap: anywhere; }
.reading h1 { font-size: 1.4rem; } .reading h2 { font-size: 1.15rem; }
.reading p, .reading li, .reading td, .reading th { font-size: 1rem; }
.reading .running-header { border-bottom: 1px solid #5b7c99; padding-bottom: 8px; margin-bottom: 12px; }
.reading .running-header img { max-height: 48px; max-width: 40%; float: right; }
.reading table { display: block; max-width: 100%; overflow-x: auto; border-collapse: collapse; }
.reading td, .reading th { border: 1px solid #d8dbe0; padding: 4px 8px; text-align: left; vertical-align: top; }
.reading .doc-meta td, .reading .doc-meta th { border: 0; padding: 2px 12px 2px 0; }
.reading th { overflow-wrap: normal; white-space: nowrap; }
.reading .sig-block { border: 1px solid #d8dbe0; border-radius: 6px; padding: 8px; margin: 12px 0; }
.reading .sig-box { height: 48px; border-bottom: 1px dashed #666; margin: 8px 0; }
.reading .draft-banner { border: 1px solid #a61b1b; background: #fdf3f3; padding: 8px; }
</style></head>
<body><main>
{% block body %}{% endblock %}
</main></body></html>
"""

_ERRORS = """{% if errors %}<div class="alert" role="alert" id="errors" tabindex="-1"><p>{{ message }}</p><ul>
{% for e in errors %}<li>{{ e }}</li>{% endfor %}</ul></div>{% endif %}"""

_DECLINE = """<details class="card"{% if 'reason' in invalid %} open{% endif %}>
<summary>{{ _("I do not want to sign") }}</summary>
<form method="post" action="/sign/{{ token }}/decline"><input type="hidden" name="csrf" value="{{ csrf }}">
<label for="reason">{{ _("Why do you decline? (required; the sender will see this)") }}</label>
<textarea id="reason" name="reason" rows="3" required minlength="3" maxlength="2000"
 {% if 'reason' in invalid %}aria-invalid="true" aria-describedby="errors"{% endif %}></textarea>
<p><button type="submit" class="danger" id="decline-button">{{ _("Decline to sign") }}</button></p>
</form></details>"""

_CONSENT = """{% extends "base" %}{% block body %}
<h1>{{ envelope.title }}</h1>
<p>{% trans msp=envelope.msp_name, name=signer.name %}{{ msp }} asks you, {{ name }}, to sign this document
electronically.{% endtrans %}</p>
{% include "errors" %}
<section class="card" aria-labelledby="consent-heading">
<h2 id="consent-heading">{{ _("Before you start: electronic records and signatures") }}</h2>
<p id="disclosure">{{ disclosure_text }}</p>
<p class="note">{% trans version=disclosure_version %}Disclosure version {{ version }}.{% endtrans %}</p>
<form method="post" action="/sign/{{ token }}/consent"><input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="version" value="{{ disclosure_version }}">
<label class="inline" for="agree"><input type="checkbox" id="agree" name="agree" value="yes" required
 aria-describedby="disclosure"{% if 'agree' in invalid %} aria-invalid="true"{% endif %}>
 {{ _("I have read the disclosure and agree to do business electronically.") }}</label>
<p><button type="submit" id="consent-button">{{ _("Continue") }}</button></p>
</form></section>
{% include "decline" %}
{% endblock %}"""

_OTP = """{% extends "base" %}{% block body %}
<h1>{{ envelope.title }}</h1>
{% include "errors" %}
{% if info %}<p role="status">{{ info }}</p>{% endif %}
<section class="card" aria-labelledby="otp-heading">
<h2 id="otp-heading">{{ _("Confirm it is you") }}</h2>
<p>{% trans email=signer.email %}We e-mail a 6-digit code to {{ email }}. It works for 10 minutes.{% endtrans %}</p>
<form method="post" action="/sign/{{ token }}/code/send"><input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit" class="secondary" id="send-code">
{{ _("Send me a code") }}</button></form>
<form method="post" action="/sign/{{ token }}/code"><input type="hidden" name="csrf" value="{{ csrf }}">
<label for="code">{{ _("Code from the e-mail") }}</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
 maxlength="6" required{% if errors %} aria-invalid="true" aria-describedby="errors"{% endif %}>
<p><button type="submit" id="code-button">{{ _("Confirm") }}</button></p>
</form></section>
{% include "decline" %}
{% endblock %}"""

_SIGN = """{% extends "base" %}{% block body %}
<h1>{{ envelope.title }}</h1>
{% if envelope.message %}<p class="card">{{ envelope.message }}</p>{% endif %}
{% include "errors" %}
{% block doc_tools %}<section class="card doc-tools" aria-labelledby="doc-tools-heading">
<h2 id="doc-tools-heading">{% if page_count %}{% trans count=page_count %}The document: {{ count }} page\
{% pluralize %}The document: {{ count }} pages{% endtrans %}{% else %}{{ _("The document") }}{% endif %}</h2>
<p><a href="/sign/{{ token }}/read" id="reading-link">{{ _("Read it as text that fits your screen") }}</a></p>
<p><a href="/sign/{{ token }}/document.pdf" id="pdf-link" download>{% if page_count %}{% trans count=page_count %}\
Download the PDF ({{ count }} page){% pluralize %}Download the PDF ({{ count }} pages){% endtrans %}{% else %}\
{{ _("Download the PDF") }}{% endif %}</a></p>
<p class="note">{{ _("The text view, the PDF and the pages below are the same document; you sign the PDF, shown \
in the pages below.") }}</p>
</section>{% endblock %}
{% if preparing %}<p class="card" role="status" id="preparing">{{ _("The document is being prepared for you to \
read. This page reloads by itself in a few seconds.") }}</p>{% endif %}
{% if page_count %}<section class="pages" aria-label="{% trans count=page_count %}The document, {{ count }} pages\
{% endtrans %}">
{% for i in range(page_count) %}<img src="/sign/{{ token }}/pages/{{ i }}.png"
 loading="{{ 'eager' if i < 2 else 'lazy' }}"
 alt="{% trans page=i + 1, count=page_count, title=envelope.title %}Page {{ page }} of {{ count }} of {{ title }}\
{% endtrans %}">{% endfor %}
</section>{% endif %}
{% block end_marker %}{% if page_count %}<p class="end-marker" id="end-of-document">{% trans count=page_count %}\
You have reached the end of the document (page {{ count }} of {{ count }}).{% endtrans %}</p>{% endif %}{% endblock %}
<form method="post" action="/sign/{{ token }}/sign" id="sign-form" class="card" aria-labelledby="sign-heading">
<input type="hidden" name="csrf" value="{{ csrf }}">
<h2 id="sign-heading">{{ _("Sign") }}</h2>
<label for="full_name">{{ _("Your full name") }}</label>
<input type="text" id="full_name" name="full_name" autocomplete="name" required maxlength="200"
 value="{{ form.full_name }}"{% if 'full_name' in invalid %} aria-invalid="true" aria-describedby="errors"{% endif %}>
<label for="title">{{ _("Your title") }}</label>
<input type="text" id="title" name="title" autocomplete="organization-title" required maxlength="200"
 value="{{ form.title }}"{% if 'title' in invalid %} aria-invalid="true" aria-describedby="errors"{% endif %}>
<label class="inline" for="attest"><input type="checkbox" id="attest" name="attest" value="yes" required
 {% if 'attest' in invalid %}aria-invalid="true" aria-describedby="errors"{% endif %}>
{% trans party=party.rstrip().rstrip('.') %}I am authorised to sign on behalf of {{ party }}.{% endtrans %}</label>
<fieldset><legend>{{ _("How do you want to sign?") }}</legend>
<label class="inline" for="method-typed"><input type="radio" id="method-typed" name="method" value="typed"
 {% if form.method != 'drawn' %}checked{% endif %}> {{ _("Type my name") }}</label>
<label class="inline" for="method-drawn"><input type="radio" id="method-drawn" name="method" value="drawn"
 {% if form.method == 'drawn' %}checked{% endif %}> {{ _("Draw my signature") }}</label>
</fieldset>
<div id="typed-box"><p class="note">{{ _("Your typed signature:") }}</p>
<div class="typed-preview" id="typed-preview" aria-live="polite">{{ form.full_name }}</div></div>
<div id="drawn-box" class="hidden">
<label for="pad">{{ _("Draw your signature with a finger, pen or mouse") }}</label>
<canvas id="pad" role="img" aria-label="{{ _('Signature drawing area') }}" aria-describedby="pad-help"></canvas>
<p class="note" id="pad-help">{{ _("Drawing needs a finger, pen or mouse. With a keyboard or a screen reader, choose \
Type my name: your typed name is your signature.") }}</p>
<p class="alert hidden" id="pad-error" role="alert"></p>
<p><button type="button" class="secondary" id="clear-pad">{{ _("Clear") }}</button></p>
</div>
<input type="hidden" name="signature" id="signature">
<p class="note">{{ _("By selecting Sign you sign this document electronically; your signature is as binding as \
a handwritten one.") }}</p>
<p><button type="submit" id="sign-button">{{ _("Sign") }}</button></p>
</form>
{% include "decline" %}
<script nonce="{{ nonce }}">
(function () {
  var form = document.getElementById('sign-form');
  var typed = document.getElementById('typed-box'), drawn = document.getElementById('drawn-box');
  var nameInput = document.getElementById('full_name'), preview = document.getElementById('typed-preview');
  var pad = document.getElementById('pad'), ctx = pad.getContext('2d'), strokes = 0, down = false;
  var padError = document.getElementById('pad-error'), errors = document.getElementById('errors');
  if (errors) { errors.focus(); }
  function method() { return document.getElementById('method-drawn').checked ? 'drawn' : 'typed'; }
  function resize() {
    var r = pad.getBoundingClientRect(), d = window.devicePixelRatio || 1;
    if (!r.width) return;
    pad.width = r.width * d; pad.height = r.height * d; ctx.scale(d, d);
    ctx.lineWidth = 2.5; ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.strokeStyle = '#10206b'; strokes = 0;
  }
  function show() {
    var m = method();
    typed.classList.toggle('hidden', m !== 'typed'); drawn.classList.toggle('hidden', m !== 'drawn');
    if (m === 'drawn') resize();
  }
  function at(e) { var r = pad.getBoundingClientRect(); return [e.clientX - r.left, e.clientY - r.top]; }
  pad.addEventListener('pointerdown', function (e) {
    down = true; pad.setPointerCapture(e.pointerId); var p = at(e); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
  });
  pad.addEventListener('pointermove', function (e) {
    if (!down) return; var p = at(e); ctx.lineTo(p[0], p[1]); ctx.stroke(); strokes++;
  });
  pad.addEventListener('pointerup', function () { down = false; });
  document.getElementById('clear-pad').addEventListener('click', function () {
    ctx.clearRect(0, 0, pad.width, pad.height); strokes = 0;
  });
  document.getElementById('method-typed').addEventListener('change', show);
  document.getElementById('method-drawn').addEventListener('change', show);
  nameInput.addEventListener('input', function () { preview.textContent = nameInput.value; });
  form.addEventListener('submit', function (e) {
    if (method() === 'drawn') {
      if (strokes < 3) {
        // Announced in the page (role="alert"), not in a dialog box, and the pad is brought into view.
        e.preventDefault(); padError.textContent = {{ _("Please draw your signature first.")|tojson }};
        padError.classList.remove('hidden'); pad.scrollIntoView({block: 'center'}); return;
      }
      document.getElementById('signature').value = pad.toDataURL('image/png');
    }
  });
  show();
})();
</script>
{% endblock %}"""

_DONE = """{% extends "base" %}{% block body %}
<h1>{{ heading }}</h1>
<p role="status" id="done">{{ text }}</p>
{% block embed_outcome %}{% if embed_origin and outcome %}
<script nonce="{{ nonce }}">
(function () {
  // Only the portal origin the link was issued for receives the outcome (never "*").
  if (window.parent !== window) { window.parent.postMessage({{ outcome | tojson }}, {{ embed_origin | tojson }}); }
})();
</script>{% endif %}{% endblock %}
{% endblock %}"""

_READ = """{% extends "base" %}{% block body %}
<h1>{{ envelope.title }}</h1>
<p><a href="/sign/{{ token }}#sign-form">{{ _("Back to signing") }}</a></p>
{% if copy %}
<section class="card doc-tools" aria-label="{{ _('About this reading view') }}">
<p>{% trans count=page_count %}The {{ count }}-page document as text that fits your screen. It is made from \
the same clauses as the PDF you sign (checked clause by clause); the PDF's layout and page breaks differ.{% \
endtrans %}</p>
<p class="note">{{ _("Fingerprint of this text (SHA-256):") }} <span id="reading-sha256" class="hash">{{ \
copy.sha256 }}</span></p>
<p><a href="/sign/{{ token }}/document.pdf" id="pdf-link" download>{% trans count=page_count %}Download the \
PDF ({{ count }} page){% pluralize %}Download the PDF ({{ count }} pages){% endtrans %}</a></p>
</section>
<article class="reading" id="reading" aria-label="{{ envelope.title }}">{{ body }}</article>
<p class="end-marker" id="end-of-document">{{ _("You have reached the end of the document.") }}</p>
{% else %}
<p class="card" id="no-reading-view">{{ _("This document cannot be shown as text here. Read the pages on the \
signing page, or download the PDF.") }}</p>
<p><a href="/sign/{{ token }}/document.pdf" id="pdf-link" download>{{ _("Download the PDF") }}</a></p>
{% endif %}
<p><a href="/sign/{{ token }}#sign-form" id="go-sign">{{ _("Go to signing") }}</a></p>
{% endblock %}"""

# Who opened a bad link is unknown (the page must not reveal whose it was), so it speaks every shipped
# language: English (the page's language) and French, marked with its own ``lang``.
_INVALID = """{% extends "base" %}{% block body %}
<h1>This link cannot be used</h1>
<p id="invalid">The signing link is not valid. It may have expired, been used already or been replaced by a
newer one. If you still need to sign, ask the person who sent it to you.</p>
<section lang="fr" aria-labelledby="invalid-fr">
<h2 id="invalid-fr">Ce lien ne peut pas être utilisé</h2>
<p>Le lien de signature n\u2019est pas valide. Il a peut-être expiré, déjà servi ou été remplacé par un lien plus
récent. Si vous devez encore signer, demandez-le à la personne qui vous l\u2019a envoyé.</p>
</section>
{% endblock %}"""

#: The page templates by name (``tools/i18n_catalogues.py`` extracts their strings for the catalogues).
TEMPLATES = {
    "base": _BASE,
    "errors": _ERRORS,
    "decline": _DECLINE,
    "consent": _CONSENT,
    "otp": _OTP,
    "sign": _SIGN,
    "done": _DONE,
    "read": _READ,
    "invalid": _INVALID,
}

_ENV = Environment(
    loader=DictLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    extensions=["jinja2.ext.i18n"],
)
_ENV.policies["ext.i18n.trimmed"] = True


def render(name: str, *, translator: Translator = ENGLISH, lang: str = DEFAULT_LANGUAGE, **context: Any) -> str:
    """Render page ``name`` (consent, otp, sign, read, done, invalid) with ``context``, in ``translator``'s words."""
    words = {"_": translator.gettext, "gettext": translator.gettext, "ngettext": translator.ngettext}
    return _ENV.get_template(name).render({**words, "lang": lang, "invalid": (), **context})
