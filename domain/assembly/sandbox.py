"""The Jinja sandboxes that clause text, conditions and layouts run in, and the ``money``/``date`` filters.

Three environments, all ``ImmutableSandboxedEnvironment`` (a template can neither reach Python internals
nor mutate the caller's data):

* ``clause_environment``: clause bodies. ``StrictUndefined`` (a missing variable is an error, never an
  empty string in a contract) and autoescape whose escaping is *Markdown*: ``finalize`` turns every
  interpolated value into inert Markdown text (every ASCII punctuation character backslash-escaped,
  line breaks folded to spaces), so a value can add no emphasis, list, table cell, heading, link, image
  or HTML. Values that arrive already HTML-escaped (``Markup`` from ``join`` or ``|e``) are unescaped
  first and then Markdown-escaped, so nothing bypasses the Markdown escape.
* ``condition_environment``: slot conditions (``when:``). A variable that was not given reads as
  undefined and the condition as false, so optional inputs need no ``is defined`` guards;
  ``templates check`` reports conditions that name variables the schema lacks.
* ``markup_environment``: our own HTML layout and the DOCX layout's XML, HTML/XML autoescaped.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from jinja2 import ChainableUndefined, StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup

from domain.assembly.time_zones import zone_name

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and escaping all of them
# leaves no Markdown or GFM construct a value could start.
_MARKDOWN_SPECIAL = re.compile(r"([!-/:-@\[-`{-~])")
_LINE_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]+")

_CURRENCY_SYMBOLS = {"USD": "$", "CAD": "CA$", "AUD": "A$", "NZD": "NZ$", "GBP": "£", "EUR": "€"}
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def markdown_escape(value: object) -> str:
    """Return ``value`` as Markdown source that renders as exactly its text, on one line."""
    text = value.unescape() if isinstance(value, Markup) else str(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", _LINE_BREAKS.sub(" ", text))


def _markdown_finalize(value: object) -> Markup:
    # Returning Markup stops autoescape from HTML-escaping the result a second time: the clause's
    # output format is Markdown and the HTML writer escapes for HTML later.
    return Markup(markdown_escape(value))  # noqa: S704 - the value is Markdown-escaped right here


def money(amount: object, currency: str | None = None) -> str:
    """Format ``amount`` with two decimals and thousands separators: ``1234.5|money('USD')`` -> ``$1,234.50``.

    Known currencies print with their symbol, others with the ISO code after the number; without a
    currency only the number is printed.
    """
    if isinstance(amount, bool):
        raise ValueError("money: expected a number, got a boolean")
    try:
        value = Decimal(str(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError("money: expected a number") from exc
    if not value.is_finite():
        raise ValueError("money: expected a finite number")
    sign = "-" if value < 0 else ""
    number = f"{abs(value):,.2f}"
    if currency is None:
        return f"{sign}{number}"
    if not _CURRENCY_CODE.fullmatch(str(currency)):
        raise ValueError("money: currency must be an ISO 4217 code such as 'USD'")
    symbol = _CURRENCY_SYMBOLS.get(str(currency))
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{number} {currency}"


def format_date(value: object, style: str = "long") -> str:
    """Format a date (or ISO date string): ``long`` -> ``14 March 2026``, ``iso`` -> ``2026-03-14``."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, str):
        try:
            day = date.fromisoformat(value[:10])
        except ValueError as exc:
            raise ValueError("date: expected an ISO date such as 2026-03-14") from exc
    else:
        raise ValueError("date: expected a date")
    if style == "iso":
        return day.isoformat()
    if style != "long":
        raise ValueError("date: style must be 'long' or 'iso'")
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


_FILTERS: dict[str, Callable[..., str]] = {"money": money, "date": format_date, "zone": zone_name}


@functools.cache
def clause_environment() -> ImmutableSandboxedEnvironment:
    """Return the process-wide sandbox for clause bodies (Markdown-escaping, strict)."""
    env = ImmutableSandboxedEnvironment(
        autoescape=True,
        undefined=StrictUndefined,
        finalize=_markdown_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(_FILTERS)
    return env


@functools.cache
def condition_environment() -> ImmutableSandboxedEnvironment:
    """Return the process-wide sandbox for slot conditions (missing variables read as false)."""
    env = ImmutableSandboxedEnvironment(undefined=ChainableUndefined)
    env.filters.update(_FILTERS)
    return env


@functools.cache
def markup_environment() -> ImmutableSandboxedEnvironment:
    """Return the process-wide sandbox for the HTML and DOCX layouts (HTML/XML autoescape, strict)."""
    env = ImmutableSandboxedEnvironment(autoescape=True, undefined=StrictUndefined)
    env.filters.update(_FILTERS)
    return env


@functools.lru_cache(maxsize=1024)
def compile_clause(body: str) -> Template:
    """Compile a clause body once per process (raises ``jinja2.TemplateSyntaxError``)."""
    return clause_environment().from_string(body)


@functools.lru_cache(maxsize=1024)
def compile_condition(expression: str) -> Callable[..., Any]:
    """Compile a slot condition once per process (raises ``jinja2.TemplateSyntaxError``)."""
    return condition_environment().compile_expression(expression, undefined_to_none=False)
