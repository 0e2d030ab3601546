"""A web form generated from a template's JSON Schema, and the form's answers read back as variables.

The console's "new contract" and "decline-of-service letter" pages do not hand-code a form per
template: the fields come from the manifest's ``variables`` schema, so a template added to the
library gets its form for free. The mapping is deliberately small and covers what the shipped
templates use: strings (text, long text, e-mail, date, a pick list for ``enum``), integers, numbers,
booleans (a check box), nested objects (a group of fields), arrays of strings (one item per line),
arrays of objects (a few rows of fields), and ``oneOf`` of objects told apart by a ``const`` member
(a *variant*: the person picks one, and only that choice's fields count).

Field names are dotted paths (``term.initial_months``); a variant's own fields carry the choice in the
name (``governing_law@US.region``) so that two choices may both have a ``region``. Reading back never
guesses: an empty field is left out (the schema then says whether it was required), a number that
is not a number is named with its field. The result is checked by ``validate_variables`` like any API
call, so the form adds no rule of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.assembly.variables import pointer_of
from domain.errors import FieldError

# How many blank rows an array of objects offers beyond those already filled in.
SPARE_ROWS = 2
MAX_ROWS = 50
# Readable names for the discriminator values the shipped templates use; others are shown humanised.
_CHOICE_LABELS = {"US": "United States", "CA": "Canada", "GB": "United Kingdom"}


def humanise(name: str) -> str:
    """Return ``initial_months`` as ``Initial months`` (a label for a property without a title)."""
    text = name.replace("_", " ").replace("-", " ").strip()
    return text[:1].upper() + text[1:] if text else name


@dataclass(frozen=True)
class FormField:
    """One input: its form name, JSON pointer, label, widget and the schema's limits."""

    name: str
    pointer: str
    label: str
    widget: str  # text, textarea, email, date, integer, number, checkbox, yesno, select, lines
    required: bool
    help: str = ""
    options: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class FormGroup:
    """A nested object: a labelled group of items."""

    name: str
    pointer: str
    label: str
    required: bool
    help: str
    items: tuple[FormItem, ...]


@dataclass(frozen=True)
class FormRows:
    """An array of objects: a table of rows, each with the same fields."""

    name: str
    pointer: str
    label: str
    help: str
    columns: tuple[FormField, ...]
    max_items: int


@dataclass(frozen=True)
class VariantChoice:
    """One choice of a variant: the discriminator's value, a label and the fields it adds."""

    value: str
    label: str
    items: tuple[FormItem, ...]
    fixed: tuple[tuple[str, object], ...] = ()


@dataclass(frozen=True)
class FormVariant:
    """A ``oneOf`` of objects: the person picks one choice (``<name>.<discriminator>``)."""

    name: str
    pointer: str
    label: str
    required: bool
    help: str
    discriminator: str
    choices: tuple[VariantChoice, ...]


FormItem = FormField | FormGroup | FormRows | FormVariant


@dataclass
class FormAnswers:
    """The variables read from a form, and the problems found while reading it (by JSON pointer)."""

    variables: dict[str, Any] = field(default_factory=dict)
    problems: list[FieldError] = field(default_factory=list)


def _field(name: str, pointer: str, prop: str, schema: Mapping[str, Any], required: bool) -> FormField:
    kind = schema.get("type")
    fmt = schema.get("format")
    if "enum" in schema:
        widget = "select"
    elif kind == "boolean":
        # An optional yes/no has three answers (yes, no, not said: the template's default), a check box two.
        widget = "checkbox" if required else "yesno"
    elif kind == "integer":
        widget = "integer"
    elif kind == "number":
        widget = "number"
    elif fmt == "date":
        widget = "date"
    elif fmt == "email":
        widget = "email"
    elif kind == "array":
        widget = "lines"
    elif int(schema.get("maxLength", 0)) > 300:
        widget = "textarea"
    else:
        widget = "text"
    bound = {k: schema.get(k) for k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")}
    return FormField(
        name=name,
        pointer=pointer,
        label=str(schema.get("title") or humanise(prop)),
        widget=widget,
        required=required,
        help=" ".join(str(schema.get("description", "")).split()),
        options=tuple(str(v) for v in schema.get("enum", ())),
        minimum=_number(bound["minimum"] if bound["minimum"] is not None else bound["exclusiveMinimum"]),
        maximum=_number(bound["maximum"] if bound["maximum"] is not None else bound["exclusiveMaximum"]),
        max_length=schema.get("maxLength") if isinstance(schema.get("maxLength"), int) else None,
    )


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _discriminator(choices: list[Mapping[str, Any]]) -> str | None:
    """Return the member that has a ``const`` in every choice (``kind``, ``country``), if there is one."""
    if not choices:
        return None
    first = choices[0].get("properties", {})
    for prop, sub in first.items():
        if (
            isinstance(sub, Mapping)
            and "const" in sub
            and all("const" in c.get("properties", {}).get(prop, {}) for c in choices)
        ):
            return str(prop)
    return None


def _items(schema: Mapping[str, Any], prefix: str, path: tuple[str, ...]) -> tuple[FormItem, ...]:
    required = set(schema.get("required", ()))
    items: list[FormItem] = []
    for prop, sub in (schema.get("properties") or {}).items():
        if not isinstance(sub, Mapping):
            continue
        name = f"{prefix}{prop}"
        at = (*path, str(prop))
        pointer = pointer_of(at)
        help_text = " ".join(str(sub.get("description", "")).split())
        label = str(sub.get("title") or humanise(str(prop)))
        if "const" in sub:
            continue  # a discriminator: the variant's choice sets it
        if isinstance(sub.get("oneOf"), list):
            choices = [c for c in sub["oneOf"] if isinstance(c, Mapping)]
            key = _discriminator(choices)
            if key is None:
                continue  # not a shape this form knows; the API still takes it
            items.append(
                FormVariant(
                    name=name,
                    pointer=pointer,
                    label=label,
                    required=prop in required,
                    help=help_text,
                    discriminator=key,
                    choices=tuple(
                        VariantChoice(
                            value=str(c["properties"][key]["const"]),
                            label=_CHOICE_LABELS.get(
                                str(c["properties"][key]["const"]), humanise(str(c["properties"][key]["const"]))
                            ),
                            items=_items(c, f"{name}@{c['properties'][key]['const']}.", at),
                            fixed=tuple(
                                (str(p), v["const"])
                                for p, v in c["properties"].items()
                                if p != key and isinstance(v, Mapping) and "const" in v
                            ),
                        )
                        for c in choices
                    ),
                )
            )
        elif sub.get("type") == "object":
            items.append(
                FormGroup(
                    name=name,
                    pointer=pointer,
                    label=label,
                    required=prop in required,
                    help=help_text,
                    items=_items(sub, f"{name}.", at),
                )
            )
        elif (
            sub.get("type") == "array"
            and isinstance(sub.get("items"), Mapping)
            and sub["items"].get("type") == "object"
        ):
            row = sub["items"]
            row_required = set(row.get("required", ()))
            items.append(
                FormRows(
                    name=name,
                    pointer=pointer,
                    label=label,
                    help=help_text,
                    columns=tuple(
                        _field(f"{name}.{{row}}.{col}", pointer_of((*at, "{row}", col)), col, cs, col in row_required)
                        for col, cs in (row.get("properties") or {}).items()
                        if isinstance(cs, Mapping)
                    ),
                    max_items=min(int(sub.get("maxItems", MAX_ROWS)), MAX_ROWS),
                )
            )
        else:
            items.append(_field(name, pointer, str(prop), sub, prop in required))
    return tuple(items)


def form_items(schema: Mapping[str, Any], *, skip: frozenset[str] = frozenset()) -> tuple[FormItem, ...]:
    """Return the form for a template's variables schema, leaving out the top-level names in ``skip``."""
    return tuple(item for item in _items(schema, "", ()) if item.name not in skip)


def _coerce(item: FormField, raw: str, answers: FormAnswers) -> tuple[bool, Any]:
    """Return (present, value) for one field's text; a bad number is noted in ``answers``."""
    text = raw.replace("\r\n", "\n").strip()
    if item.widget == "checkbox":
        return (True, True) if text else ((True, False) if item.required else (False, None))
    if not text:
        return False, None
    if item.widget == "yesno":
        if text not in ("yes", "no"):
            answers.problems.append(FieldError(item.pointer, "choose yes or no"))
            return False, None
        return True, text == "yes"
    if item.widget == "lines":
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        return bool(lines), lines
    if item.widget in ("integer", "number"):
        try:
            number = Decimal(text.replace(",", ""))
        except InvalidOperation:
            answers.problems.append(FieldError(item.pointer, "is not a number"))
            return False, None
        if not number.is_finite():
            answers.problems.append(FieldError(item.pointer, "is not a number"))
            return False, None
        if item.widget == "integer":
            if number != number.to_integral_value():
                answers.problems.append(FieldError(item.pointer, "must be a whole number"))
                return False, None
            return True, int(number)
        return True, int(number) if number == number.to_integral_value() else float(number)
    return True, text


def _read(items: tuple[FormItem, ...], form: Mapping[str, str], answers: FormAnswers) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        key = item.pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")
        if isinstance(item, FormField):
            present, value = _coerce(item, form.get(item.name, ""), answers)
            if present:
                out[key] = value
        elif isinstance(item, FormGroup):
            nested = _read(item.items, form, answers)
            if nested or item.required:
                out[key] = nested
        elif isinstance(item, FormVariant):
            picked = form.get(f"{item.name}.{item.discriminator}", "").strip()
            choice = next((c for c in item.choices if c.value == picked), None)
            if choice is None:
                if picked or item.required:
                    answers.problems.append(FieldError(item.pointer, "choose one of the options"))
                continue
            # Members a choice fixes (Canada's only region is BC) go in without being asked.
            value = {item.discriminator: picked, **dict(choice.fixed), **_read(choice.items, form, answers)}
            for sub in choice.items:
                if isinstance(sub, FormField) and sub.required and sub.pointer.rsplit("/", 1)[-1] not in value:
                    answers.problems.append(FieldError(sub.pointer, "is required"))
            out[key] = value
        else:
            rows: list[dict[str, Any]] = []
            for index in range(item.max_items):
                row_answers: dict[str, Any] = {}
                for column in item.columns:
                    cell = replace(
                        column,
                        name=column.name.replace("{row}", str(index)),
                        pointer=column.pointer.replace("{row}", str(len(rows))),
                    )
                    present, value = _coerce(cell, form.get(cell.name, ""), answers)
                    if present and not (column.widget == "checkbox" and value is False):
                        row_answers[column.pointer.rsplit("/", 1)[-1]] = value
                if row_answers:
                    rows.append(row_answers)
            if rows:
                out[key] = rows
    return out


def read_form(items: tuple[FormItem, ...], form: Mapping[str, str]) -> FormAnswers:
    """Return the variables the form's answers give (empty fields left out) and any reading problems."""
    answers = FormAnswers()
    answers.variables = _read(items, form, answers)
    return answers


def form_values(items: tuple[FormItem, ...], variables: Mapping[str, Any]) -> dict[str, str]:
    """Return the form's field values for stored variables (to start a new version from an old one)."""
    values: dict[str, str] = {}

    def text(value: Any, widget: str = "") -> str:
        if isinstance(value, bool) and widget == "yesno":
            return "yes" if value else "no"
        if isinstance(value, bool):
            return "true" if value else ""
        if isinstance(value, list):
            return "\n".join(str(v) for v in value)
        return "" if value is None else str(value)

    def walk(entries: tuple[FormItem, ...], data: Mapping[str, Any]) -> None:
        for item in entries:
            key = item.pointer.rsplit("/", 1)[-1]
            if key not in data:
                continue
            value = data[key]
            if isinstance(item, FormField):
                values[item.name] = text(value, item.widget)
            elif isinstance(item, FormGroup) and isinstance(value, Mapping):
                walk(item.items, value)
            elif isinstance(item, FormVariant) and isinstance(value, Mapping):
                picked = str(value.get(item.discriminator, ""))
                values[f"{item.name}.{item.discriminator}"] = picked
                for choice in item.choices:
                    if choice.value == picked:
                        walk(choice.items, value)
            elif isinstance(item, FormRows) and isinstance(value, list):
                for index, row in enumerate(value[: item.max_items]):
                    if isinstance(row, Mapping):
                        for column in item.columns:
                            col = column.pointer.rsplit("/", 1)[-1]
                            if col in row:
                                values[column.name.replace("{row}", str(index))] = text(row[col], column.widget)

    walk(items, variables)
    return values


def row_count(rows: FormRows, values: Mapping[str, str]) -> int:
    """Return how many rows to show: the filled ones plus a few spare, within the schema's limit."""
    filled = 0
    for index in range(rows.max_items):
        if any(values.get(c.name.replace("{row}", str(index))) for c in rows.columns):
            filled = index + 1
    return min(filled + SPARE_ROWS, rows.max_items)
