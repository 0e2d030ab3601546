"""Template manifests and clause sources: the parsed, validated form of a template folder.

``parse_clause`` turns a clause file's bytes (YAML front matter + Markdown/Jinja body) into a
``ClauseSource`` whose ``sha256`` is the hash of those exact bytes (recorded with every document, so a
clause's text can be proven later). ``parse_manifest`` turns a parsed ``manifest.yaml`` mapping plus the
clauses and data files it refers to into a ``TemplateManifest``. Both raise ``TemplateInvalid`` listing
every problem found, each pointing at the file and place. The format is described in templates/FORMAT.md.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml
from jinja2 import TemplateSyntaxError, nodes
from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from domain.assembly.sandbox import clause_environment, compile_clause, compile_condition
from domain.assembly.variables import schema_name_problems
from domain.document_kind import DocumentKind
from domain.errors import FieldError, TemplateInvalid

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
CLAUSE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(\.[a-z0-9][a-z0-9_-]*)*$")
TEMPLATE_ID = re.compile(r"^[a-z0-9][a-z0-9_-]*(/[a-z0-9][a-z0-9_-]*)+$")
KINDS = tuple(kind.value for kind in DocumentKind)
ROLES = ("client", "msp")
_MANIFEST_KEYS = {"id", "version", "title", "kind", "description", "data", "variables", "signers", "slots"}


@dataclass(frozen=True)
class ClauseSource:
    """One clause file: stable id, version, title, the Markdown+Jinja body and the file's SHA-256."""

    id: str
    version: str
    title: str
    body: str
    sha256: str
    path: str = ""


@dataclass(frozen=True)
class SlotVariant:
    """One candidate clause of a slot, used when ``when`` holds (or always when it is ``None``)."""

    clause: str
    when: str | None = None


@dataclass(frozen=True)
class Slot:
    """A place in the document that yields at most one clause: the first variant whose condition holds."""

    variants: tuple[SlotVariant, ...]
    required: bool = False


@dataclass(frozen=True)
class Signer:
    """A signature block the layout draws: the signing party's role and the caption above the box."""

    role: str
    label: str


@dataclass(frozen=True)
class TemplateManifest:
    """A template ready to assemble: metadata, variable schema, signers, slots, clauses and data."""

    id: str
    version: str
    title: str
    kind: DocumentKind
    description: str
    schema: Mapping[str, Any]
    signers: tuple[Signer, ...]
    slots: tuple[Slot, ...]
    clauses: Mapping[str, ClauseSource] = field(default_factory=dict)
    data: Mapping[str, Any] = field(default_factory=dict)


def parse_clause(raw: bytes, *, expected_id: str, path: str) -> ClauseSource:
    """Parse a clause file (``---`` YAML front matter ``---`` body); ``expected_id`` is its file name."""
    problems: list[FieldError] = []
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise TemplateInvalid(f"{path} is not UTF-8", errors=[FieldError(path, "not UTF-8")]) from None
    text = text.removeprefix("\ufeff").replace("\r\n", "\n")
    match = re.match(r"^---\n(.*?)\n---\n?(.*)$", text, flags=re.DOTALL)
    if match is None:
        raise TemplateInvalid(
            f"{path} has no front matter", errors=[FieldError(path, "must start with --- front matter ---")]
        )
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise TemplateInvalid(f"{path}: bad front matter", errors=[FieldError(path, str(exc))]) from None
    if not isinstance(meta, dict):
        raise TemplateInvalid(f"{path}: bad front matter", errors=[FieldError(path, "must be a mapping")])
    clause_id, version, title = meta.get("id"), str(meta.get("version", "")), meta.get("title")
    if clause_id != expected_id:
        problems.append(FieldError(f"{path}#/id", f"must equal the file name '{expected_id}'"))
    elif not CLAUSE_ID.fullmatch(clause_id):
        problems.append(FieldError(f"{path}#/id", "must be lower-case words joined by '.' or '-'"))
    if not SEMVER.fullmatch(version):
        problems.append(FieldError(f"{path}#/version", "must be a semantic version such as 1.0.0"))
    if not isinstance(title, str) or not title.strip():
        problems.append(FieldError(f"{path}#/title", "is required"))
    unknown = sorted(set(meta) - {"id", "version", "title"})
    problems.extend(FieldError(f"{path}#/{key}", "unknown front matter key") for key in unknown)
    body = match.group(2)
    offset = text[: match.start(2)].count("\n")  # report lines of the file, not of the body
    try:
        compile_clause(body)
        problems.extend(_forbidden_tags(body, path, offset))
    except TemplateSyntaxError as exc:
        problems.append(FieldError(f"{path}:{exc.lineno + offset}", f"Jinja syntax error: {exc.message}"))
    if problems:
        raise TemplateInvalid(f"{path} is invalid", errors=problems)
    return ClauseSource(
        id=str(clause_id),
        version=version,
        title=str(title).strip(),
        body=body,
        sha256=hashlib.sha256(raw).hexdigest(),
        path=path,
    )


def _forbidden_tags(body: str, path: str, offset: int) -> list[FieldError]:
    # A clause is self-contained: pulling in other files would put text in the document that is not
    # covered by the clause's hash.
    ast = clause_environment().parse(body)
    found = ast.find_all((nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends))
    return [
        FieldError(f"{path}:{node.lineno + offset}", "include/import/extends are not allowed in clauses")
        for node in found
    ]


def _parse_variant(raw: Any, where: str, problems: list[FieldError]) -> SlotVariant | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("clause"), str):
        problems.append(FieldError(where, "needs a 'clause' id"))
        return None
    when = raw.get("when")
    if when is not None:
        if not isinstance(when, str) or not when.strip():
            problems.append(FieldError(f"{where}/when", "must be a Jinja expression"))
            return None
        try:
            compile_condition(when)
        except TemplateSyntaxError as exc:
            problems.append(FieldError(f"{where}/when", f"Jinja syntax error: {exc.message}"))
    return SlotVariant(clause=raw["clause"], when=when)


def _parse_slots(raw: Any, where: str, problems: list[FieldError]) -> tuple[Slot, ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(FieldError(where, "must be a non-empty list"))
        return ()
    slots: list[Slot] = []
    for index, item in enumerate(raw):
        at = f"{where}/{index}"
        if not isinstance(item, dict):
            problems.append(FieldError(at, "must be a mapping"))
            continue
        required = item.get("required", False)
        if not isinstance(required, bool):
            problems.append(FieldError(f"{at}/required", "must be true or false"))
        if "variants" in item:
            if "clause" in item or not isinstance(item["variants"], list) or not item["variants"]:
                problems.append(FieldError(at, "has either 'clause' or a non-empty 'variants' list"))
                continue
            found = [_parse_variant(v, f"{at}/variants/{i}", problems) for i, v in enumerate(item["variants"])]
            variants = tuple(v for v in found if v is not None)
        else:
            variant = _parse_variant(item, at, problems)
            variants = (variant,) if variant else ()
        slots.append(Slot(variants=variants, required=bool(required)))
    return tuple(slots)


def _parse_signers(raw: Any, where: str, problems: list[FieldError]) -> tuple[Signer, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        problems.append(FieldError(where, "must be a list"))
        return ()
    signers: list[Signer] = []
    for index, item in enumerate(raw):
        at = f"{where}/{index}"
        if not isinstance(item, dict) or item.get("role") not in ROLES:
            problems.append(FieldError(f"{at}/role", f"must be one of {', '.join(ROLES)}"))
            continue
        label = item.get("label")
        if not isinstance(label, str) or not label.strip():
            problems.append(FieldError(f"{at}/label", "is required"))
            continue
        signers.append(Signer(role=item["role"], label=label.strip()))
    return tuple(signers)


def parse_manifest(
    raw: Any,
    *,
    expected_id: str,
    clauses: Mapping[str, ClauseSource],
    data: Mapping[str, Any],
    path: str = "manifest.yaml",
) -> TemplateManifest:
    """Validate a parsed manifest mapping and return the ``TemplateManifest``.

    ``clauses`` must hold every clause the slots name (looked up by the caller: template folder, then
    the group's ``_clauses``) and ``data`` the loaded data files keyed as in the manifest.
    """
    if not isinstance(raw, dict):
        raise TemplateInvalid(f"{path} is invalid", errors=[FieldError(path, "must be a mapping")])
    problems: list[FieldError] = []
    problems.extend(FieldError(f"{path}#/{key}", "unknown key") for key in sorted(set(raw) - _MANIFEST_KEYS))
    if raw.get("id") != expected_id:
        problems.append(FieldError(f"{path}#/id", f"must equal the folder path '{expected_id}'"))
    elif not TEMPLATE_ID.fullmatch(expected_id):
        problems.append(FieldError(f"{path}#/id", "must be lower-case folder names joined by '/'"))
    version = str(raw.get("version", ""))
    if not SEMVER.fullmatch(version):
        problems.append(FieldError(f"{path}#/version", "must be a semantic version such as 1.0.0"))
    for key in ("title", "description"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            problems.append(FieldError(f"{path}#/{key}", "is required"))
    if raw.get("kind") not in KINDS:
        problems.append(FieldError(f"{path}#/kind", f"must be one of {', '.join(KINDS)}"))
    schema = raw.get("variables")
    if not isinstance(schema, dict) or schema.get("type") != "object":
        problems.append(FieldError(f"{path}#/variables", "must be a JSON Schema of type object"))
        schema = {"type": "object"}
    else:
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as exc:
            pointer = "/".join(str(p) for p in exc.absolute_path)
            problems.append(FieldError(f"{path}#/variables/{pointer}", f"invalid JSON Schema: {exc.message}"))
        problems.extend(FieldError(f"{path}#/variables{e.pointer}", e.reason) for e in schema_name_problems(schema))
    signers = _parse_signers(raw.get("signers"), f"{path}#/signers", problems)
    slots = _parse_slots(raw.get("slots"), f"{path}#/slots", problems)
    seen: set[str] = set()
    for index, slot in enumerate(slots):
        for variant in slot.variants:
            if variant.clause not in clauses:
                problems.append(FieldError(f"{path}#/slots/{index}", f"clause '{variant.clause}' not found"))
            if variant.clause in seen:
                problems.append(FieldError(f"{path}#/slots/{index}", f"clause '{variant.clause}' used twice"))
            seen.add(variant.clause)
    if problems:
        raise TemplateInvalid(f"template {expected_id} is invalid", errors=problems)
    return TemplateManifest(
        id=expected_id,
        version=version,
        title=raw["title"].strip(),
        kind=DocumentKind(raw["kind"]),
        description=raw["description"].strip(),
        schema=schema,
        signers=signers,
        slots=slots,
        clauses={cid: clauses[cid] for cid in sorted(seen)},
        data=dict(data),
    )
