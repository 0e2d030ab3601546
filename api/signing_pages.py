"""The server-rendered HTML of the signing page: consent, one-time code, document and signature, done.

Plain HTML forms that work without JavaScript for everything except drawing; a little script adds
the drawing canvas and the typed-signature preview. Every control has a visible label, errors are
announced (``role="alert"``), and the layout is one column that fits a phone. Autoescaping is on:
names, titles and messages come from senders and signers.
"""

from __future__ import annotations

from typing import Any

from jinja2 import DictLoader, Environment, select_autoescape

_BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
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
</style></head>
<body><main>
{% block body %}{% endblock %}
</main></body></html>
"""

_ERRORS = """{% if errors %}<div class="alert" role="alert" id="errors"><p>{{ message }}</p><ul>
{% for e in errors %}<li>{{ e }}</li>{% endfor %}</ul></div>{% endif %}"""

_DECLINE = """<details class="card"><summary>I do not want to sign</summary>
<form method="post" action="/sign/{{ token }}/decline"><input type="hidden" name="csrf" value="{{ csrf }}">
<label for="reason">Why do you decline? (required; the sender will see this)</label>
<textarea id="reason" name="reason" rows="3" required minlength="3" maxlength="2000"></textarea>
<p><button type="submit" class="danger" id="decline-button">Decline to sign</button></p>
</form></details>"""

_CONSENT = """{% extends "base" %}{% block body %}
<h1>{{ envelope.title }}</h1>
<p>{{ envelope.msp_name }} asks you, {{ signer.name }}, to sign this document electronically.</p>
{% include "errors" %}
<section class="card" aria-labelledby="consent-heading">
<h2 id="consent-heading">Before you start: electronic records and signatures</h2>
<p id="disclosure">{{ disclosure_text }}</p>
<p class="note">Disclosure version {{ disclosure_version }}.</p>
<form method="post" action="/sign/{{ token }}/consent"><input type="hidden" name="csrf" value="{{ csrf }}">
<input type="hidden" name="version" value="{{ disclosure_version }}">
<label class="inline" for="agree"><input type="checkbox" id="agree" name="agree" value="yes" required
 aria-describedby="disclosure"> I have read the disclosure and agree to do business electronically.</label>
<p><button type="submit" id="consent-button">Continue</button></p>
</form></section>
{% include "decline" %}
{% endblock %}"""

_OTP = """{% extends "base" %}{% block body %}
<h1>{{ envelope.title }}</h1>
{% include "errors" %}
{% if info %}<p role="status">{{ info }}</p>{% endif %}
<section class="card" aria-labelledby="otp-heading">
<h2 id="otp-heading">Confirm it is you</h2>
<p>We e-mail a 6-digit code to {{ signer.email }}. It works for 10 minutes.</p>
<form method="post" action="/sign/{{ token }}/code/send"><input type="hidden" name="csrf" value="{{ csrf }}">
<button type="submit" class="secondary" id="send-code">
Send me a code</button></form>
<form method="post" action="/sign/{{ token }}/code"><input type="hidden" name="csrf" value="{{ csrf }}">
<label for="code">Code from the e-mail</label>
<input type="text" id="code" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}"
 maxlength="6" required>
<p><button type="submit" id="code-button">Confirm</button></p>
</form></section>
{% endblock %}"""

_SIGN = """{% extends "base" %}{% block body %}
<h1>{{ envelope.title }}</h1>
{% if envelope.message %}<p class="card">{{ envelope.message }}</p>{% endif %}
{% include "errors" %}
{% if preparing %}<p class="card" role="status" id="preparing">The document is being prepared for you to read.
This page reloads by itself in a few seconds.</p>{% endif %}
<section class="pages" aria-label="The document, {{ page_count }} pages">
{% for i in range(page_count) %}<img src="/sign/{{ token }}/pages/{{ i }}.png"
 loading="{{ 'eager' if i < 2 else 'lazy' }}"
 alt="Page {{ i + 1 }} of {{ page_count }} of {{ envelope.title }}">{% endfor %}
</section>
<form method="post" action="/sign/{{ token }}/sign" id="sign-form" class="card" aria-labelledby="sign-heading">
<input type="hidden" name="csrf" value="{{ csrf }}">
<h2 id="sign-heading">Sign</h2>
<label for="full_name">Your full name</label>
<input type="text" id="full_name" name="full_name" autocomplete="name" required maxlength="200"
 value="{{ form.full_name }}">
<label for="title">Your title</label>
<input type="text" id="title" name="title" autocomplete="organization-title" required maxlength="200"
 value="{{ form.title }}">
<label class="inline" for="attest"><input type="checkbox" id="attest" name="attest" value="yes" required>
I am authorised to sign on behalf of {{ party.rstrip().rstrip('.') }}.</label>
<fieldset><legend>How do you want to sign?</legend>
<label class="inline" for="method-typed"><input type="radio" id="method-typed" name="method" value="typed"
 {% if form.method != 'drawn' %}checked{% endif %}> Type my name</label>
<label class="inline" for="method-drawn"><input type="radio" id="method-drawn" name="method" value="drawn"
 {% if form.method == 'drawn' %}checked{% endif %}> Draw my signature</label>
</fieldset>
<div id="typed-box"><p class="note">Your typed signature:</p>
<div class="typed-preview" id="typed-preview" aria-live="polite">{{ form.full_name }}</div></div>
<div id="drawn-box" class="hidden">
<label for="pad">Draw your signature with a finger, pen or mouse</label>
<canvas id="pad" role="img" aria-label="Signature drawing area" tabindex="0"></canvas>
<p><button type="button" class="secondary" id="clear-pad">Clear</button></p>
</div>
<input type="hidden" name="signature" id="signature">
<p class="note">By selecting Sign you sign this document electronically; your signature is as binding as
a handwritten one.</p>
<p><button type="submit" id="sign-button">Sign</button></p>
</form>
{% include "decline" %}
<script nonce="{{ nonce }}">
(function () {
  var form = document.getElementById('sign-form');
  var typed = document.getElementById('typed-box'), drawn = document.getElementById('drawn-box');
  var nameInput = document.getElementById('full_name'), preview = document.getElementById('typed-preview');
  var pad = document.getElementById('pad'), ctx = pad.getContext('2d'), strokes = 0, down = false;
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
      if (strokes < 3) { e.preventDefault(); alert('Please draw your signature first.'); return; }
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
{% endblock %}"""

_INVALID = """{% extends "base" %}{% block body %}
<h1>This link cannot be used</h1>
<p id="invalid">The signing link is not valid. It may have expired, been used already or been replaced by a
newer one. If you still need to sign, ask the person who sent it to you.</p>
{% endblock %}"""

_ENV = Environment(
    loader=DictLoader(
        {
            "base": _BASE,
            "errors": _ERRORS,
            "decline": _DECLINE,
            "consent": _CONSENT,
            "otp": _OTP,
            "sign": _SIGN,
            "done": _DONE,
            "invalid": _INVALID,
        }
    ),
    autoescape=select_autoescape(default=True, default_for_string=True),
)


def render(name: str, **context: Any) -> str:
    """Render page ``name`` (consent, otp, sign, done, invalid) with ``context``."""
    return _ENV.get_template(name).render(**context)
