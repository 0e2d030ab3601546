"""Validation of the variables a caller sends for a template.

``validate_variables`` checks the input against global caps (total size, string length, nesting depth),
refuses control characters and reserved names, then validates it against the manifest's JSON Schema
(draft 2020-12, with format checks). Every problem is collected and raised at once as one
``TemplateDataInvalid`` whose ``errors`` hold a JSON pointer and a reason per bad field; reasons never
echo the value (a megabyte string or hostile markup does not travel back in the error).

Control characters are refused rather than stripped (as in ``domain.text``): silently
changing what a client sent would change the record. Bidirectional overrides are refused too: they can
make a contract display text in a different order from the one signed ("Trojan Source").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from domain.errors import FieldError, TemplateDataInvalid
from domain.text import text_problem

# Names that Jinja resolves to dict methods (``x.items`` is the method, not the key) and names the
# context itself provides: a variable with one of these names would silently read something else.
DICT_METHOD_NAMES = frozenset(
    {"items", "keys", "values", "update", "get", "pop", "popitem", "setdefault", "clear", "copy", "fromkeys"}
)
CONTEXT_NAMES = frozenset({"data", "branding", "client", "document", "loop", "self", "range", "namespace"})
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class VariableLimits:
    """Caps applied to every input whatever the schema says (the schema's own limits come on top)."""

    max_total_bytes: int = 256 * 1024
    max_string_length: int = 20_000
    max_depth: int = 12


def pointer_of(parts: Iterator[Any] | list[Any] | tuple[Any, ...]) -> str:
    """Return the JSON pointer (RFC 6901) for a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _walk(value: Any, path: tuple[Any, ...], key: str | None) -> Iterator[tuple[tuple[Any, ...], Any, str | None]]:
    """Yield (path, value, key) for every node; ``key`` is the member name for mapping members."""
    yield path, value, key
    if isinstance(value, Mapping):
        for name, item in value.items():
            yield from _walk(item, (*path, name), str(name))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index), None)


def _cap_problems(variables: Mapping[str, Any], limits: VariableLimits) -> list[FieldError]:
    problems: list[FieldError] = []
    for path, value, key in _walk(variables, (), None):
        if len(path) > limits.max_depth:
            problems.append(FieldError(pointer_of(path), f"nested deeper than {limits.max_depth} levels"))
            break
        if key is not None:
            if key in DICT_METHOD_NAMES or (len(path) == 1 and key in CONTEXT_NAMES):
                problems.append(FieldError(pointer_of(path), "is a reserved name"))
            elif text_problem(key) is not None:
                problems.append(FieldError(pointer_of(path), f"name {text_problem(key)}"))
        if isinstance(value, str):
            if len(value) > limits.max_string_length:
                problems.append(FieldError(pointer_of(path), f"longer than {limits.max_string_length} characters"))
            elif (problem := text_problem(value, multi_line=True)) is not None:
                # The same rules as every other human-entered string (domain.text).
                problems.append(FieldError(pointer_of(path), problem))
    return problems


def _reason(error: ValidationError) -> str:
    rule, limit = error.validator, error.validator_value
    reasons = {
        "type": f"must be of type {limit}",
        "maxLength": f"longer than {limit} characters",
        "minLength": f"shorter than {limit} characters",
        "maximum": f"greater than {limit}",
        "minimum": f"less than {limit}",
        "exclusiveMaximum": f"must be less than {limit}",
        "exclusiveMinimum": f"must be greater than {limit}",
        "maxItems": f"more than {limit} items",
        "minItems": f"fewer than {limit} items",
        "pattern": "does not match the expected pattern",
        "format": f"is not a valid {limit}",
        "const": "has the wrong value",
        "uniqueItems": "has duplicate items",
        "maxProperties": f"more than {limit} members",
        "minProperties": f"fewer than {limit} members",
    }
    if rule == "enum" and isinstance(limit, list):
        shown = ", ".join(json.dumps(v) for v in limit[:10])
        return f"must be one of {shown}" + (", ..." if len(limit) > 10 else "")
    return reasons.get(str(rule), f"fails the '{rule}' rule")


def _schema_problems(schema: Mapping[str, Any], variables: Mapping[str, Any]) -> list[FieldError]:
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    problems: list[FieldError] = []
    for error in validator.iter_errors(variables):
        path = list(error.absolute_path)
        if error.validator == "required" and isinstance(error.instance, Mapping):
            missing = [n for n in error.validator_value if n not in error.instance]
            problems.extend(FieldError(pointer_of([*path, n]), "is required") for n in missing)
        elif error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(
            error.instance, Mapping
        ):
            allowed = set(error.schema.get("properties", {}))
            patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
            extra = [k for k in error.instance if k not in allowed and not any(p.search(k) for p in patterns)]
            problems.extend(FieldError(pointer_of([*path, k]), "is not allowed") for k in extra)
        else:
            problems.append(FieldError(pointer_of(path), _reason(error)))
    return problems


def validate_variables(
    schema: Mapping[str, Any], variables: Any, *, limits: VariableLimits | None = None
) -> dict[str, Any]:
    """Return the variables (strings NFC-normalised) or raise ``TemplateDataInvalid`` listing every problem."""
    limits = limits or VariableLimits()
    if not isinstance(variables, Mapping):
        raise TemplateDataInvalid("variables must be an object", errors=[FieldError("", "must be an object")])
    try:
        size = len(json.dumps(variables, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    except (TypeError, ValueError, RecursionError):
        raise TemplateDataInvalid(
            "variables must be JSON data", errors=[FieldError("", "must be JSON (no NaN, no objects)")]
        ) from None
    if size > limits.max_total_bytes:
        # Refused before the schema or the sandbox looks at it: the cap exists so that nothing expensive
        # runs. The cheap walk still names the oversized fields, so the caller knows what to shorten.
        named = [p for p in _cap_problems(variables, limits) if p.pointer]
        raise TemplateDataInvalid(
            "variables are too large" + (": " + ", ".join(p.pointer for p in named) if named else ""),
            errors=[FieldError("", f"larger than {limits.max_total_bytes} bytes"), *named],
        )
    problems = _cap_problems(variables, limits)
    flagged = {p.pointer for p in problems}
    problems.extend(p for p in _schema_problems(schema, variables) if p.pointer not in flagged)
    if problems:
        unique = sorted(set(problems), key=lambda p: (p.pointer, p.reason))
        raise TemplateDataInvalid(f"{len(unique)} template variable(s) invalid", errors=unique)
    return _normalised(variables)


def _normalised(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Mapping):
        return {str(k): _normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalised(v) for v in value]
    return value


def _schema_nodes(schema: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], Mapping[str, Any]]]:
    if not isinstance(schema, Mapping):
        return
    yield path, schema
    for name, sub in (schema.get("properties") or {}).items():
        yield from _schema_nodes(sub, (*path, "properties", name))
    for key in ("items", "additionalProperties", "not", "if", "then", "else", "contains"):
        if isinstance(schema.get(key), Mapping):
            yield from _schema_nodes(schema[key], (*path, key))
    for key in ("allOf", "anyOf", "oneOf", "prefixItems"):
        for index, sub in enumerate(schema.get(key) or []):
            yield from _schema_nodes(sub, (*path, key, str(index)))
    for name, sub in (schema.get("$defs") or {}).items():
        yield from _schema_nodes(sub, (*path, "$defs", name))


def schema_name_problems(schema: Mapping[str, Any]) -> list[FieldError]:
    """Return problems with property names in a manifest's schema (reserved or not a Jinja identifier)."""
    problems: list[FieldError] = []
    for path, node in _schema_nodes(schema, ()):
        for name in node.get("properties") or {}:
            at = pointer_of([*path, "properties", name])
            if not _NAME.fullmatch(str(name)):
                problems.append(FieldError(at, "property names must be identifiers (letters, digits, _)"))
            elif name in DICT_METHOD_NAMES or (not path and name in CONTEXT_NAMES):
                problems.append(FieldError(at, "is a reserved name"))
    return problems


def string_leaves_without_cap(schema: Mapping[str, Any]) -> list[str]:
    """Return JSON pointers (into the schema) of string schemas that set no ``maxLength``/``enum``/``const``."""
    found: list[str] = []
    for path, node in _schema_nodes(schema, ()):
        types = node.get("type")
        is_string = types == "string" or (isinstance(types, list) and "string" in types)
        if is_string and not {"maxLength", "enum", "const"} & set(node):
            found.append(pointer_of(path))
    return found
