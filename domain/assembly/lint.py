"""Template lint, the domain half of ``undersign templates check``.

``lint_template`` renders every sample of a template to PDF and DOCX and reports, as ``LintIssue``s:
samples that fail, variables used by clauses or conditions that the schema does not declare
(``unknown``: a typo would otherwise read as "not given"), schema properties no clause or condition
uses (``unused``), string fields without a ``maxLength`` and clauses no sample ever renders (warning).
``find_split_tags`` finds Jinja tags that Word split across runs in a .docx layout (docxtpl cannot
render those reliably). Errors make the check fail; warnings are printed only.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import meta, nodes
from lxml import etree

from domain.assembly.assemble import REVIEWED_VARIABLE, assemble
from domain.assembly.context import AssemblyContext, sample_context
from domain.assembly.docx_writer import DocxRenderer, render_docx
from domain.assembly.manifest import TemplateManifest
from domain.assembly.pdf import PdfRenderer, render_pdf
from domain.assembly.sandbox import clause_environment, condition_environment
from domain.assembly.variables import CONTEXT_NAMES, string_leaves_without_cap
from domain.errors import UndersignError

_JINJA_GLOBALS = frozenset({"range", "loop", "namespace", "lipsum", "cycler", "joiner", "dict", "self"})
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TAG = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}")
_OPENER = re.compile(r"\{[{%#]|[}%#]\}")


@dataclass(frozen=True)
class TemplateSample:
    """One sample input of a template (``samples/<name>.json``)."""

    name: str
    variables: Any


@dataclass(frozen=True)
class LintIssue:
    """One finding: which template (or file), where in it, what is wrong, and how bad."""

    template: str
    where: str
    message: str
    severity: str = "error"

    def as_dict(self) -> dict[str, str]:
        """Return the issue as JSON-able data."""
        return {"template": self.template, "where": self.where, "message": self.message, "severity": self.severity}


Path_ = tuple[str | int, ...]


def _chain(node: nodes.Node) -> Path_ | None:
    """Return the variable path of a ``Name``/``Getattr``/``Getitem`` chain (``a.b[0].c``), else None."""
    if isinstance(node, nodes.Name):
        return (node.name,)
    if isinstance(node, nodes.Getattr):
        base = _chain(node.node)
        return (*base, node.attr) if base else None
    if isinstance(node, nodes.Getitem):
        base = _chain(node.node)
        if base is None:
            return None
        if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str | int):
            return (*base, node.arg.value)
        return base
    return None


def _used_paths(source: str, *, expression: bool) -> set[Path_]:
    env = condition_environment() if expression else clause_environment()
    ast = env.parse("{{ " + source + " }}" if expression else source)
    roots = meta.find_undeclared_variables(ast)
    chains = list(ast.find_all((nodes.Name, nodes.Getattr, nodes.Getitem)))
    # Only whole chains count: in ``order.total`` the inner ``order`` must not mark all of order read.
    inner = {id(node.node) for node in chains if isinstance(node, nodes.Getattr | nodes.Getitem)}
    paths: set[Path_] = set()
    for node in chains:
        if id(node) in inner:
            continue
        path = _chain(node)
        if path and path[0] in roots:
            paths.add(path)
    return paths


def used_variable_paths(manifest: TemplateManifest) -> dict[Path_, set[str]]:
    """Return every variable path the clauses and conditions read, with where each is read."""
    used: dict[Path_, set[str]] = {}
    for clause in manifest.clauses.values():
        for path in _used_paths(clause.body, expression=False):
            used.setdefault(path, set()).add(clause.id)
    for index, slot in enumerate(manifest.slots):
        for variant in slot.variants:
            if variant.when:
                for path in _used_paths(variant.when, expression=True):
                    used.setdefault(path, set()).add(f"slot {index + 1} condition")
    return used


def _schema_paths(schema: Mapping[str, Any], prefix: Path_ = ()) -> Iterator[Path_]:
    for name, sub in (schema.get("properties") or {}).items():
        yield (*prefix, name)
        if isinstance(sub, Mapping):
            yield from _schema_paths(sub, (*prefix, name))


def _declared(schema: Mapping[str, Any], path: Path_) -> bool:
    node: Any = schema
    for part in path:
        if not isinstance(node, Mapping):
            return True
        if isinstance(part, int) or node.get("type") == "array":
            if isinstance(part, int) and isinstance(node.get("items"), Mapping):
                node = node["items"]
                continue
            return True  # indexing with a variable or into a free-form array: cannot tell
        properties = node.get("properties")
        if properties is None:
            return True  # a free-form object or a scalar's attribute: not ours to judge
        if part not in properties:
            return False
        node = properties[part]
    return True


def variable_issues(manifest: TemplateManifest) -> list[LintIssue]:
    """Return unknown (used but not declared) and unused (declared but never read) variables."""
    issues: list[LintIssue] = []
    used = used_variable_paths(manifest)
    for path, places in sorted(used.items(), key=lambda item: [str(p) for p in item[0]]):
        if path[0] in CONTEXT_NAMES or path[0] in _JINJA_GLOBALS:
            continue
        if not _declared(manifest.schema, path):
            dotted = ".".join(str(p) for p in path)
            issues.append(
                LintIssue(manifest.id, ", ".join(sorted(places)), f"unknown variable '{dotted}' (not in the schema)")
            )
    for declared in _schema_paths(manifest.schema):
        # The layout reads the review flag (draft marks), so declaring it is never "unused".
        read = declared == (REVIEWED_VARIABLE,) or any(
            u[: len(declared)] == declared or declared[: len(u)] == u for u in used
        )
        if not read:
            dotted = ".".join(str(p) for p in declared)
            issues.append(LintIssue(manifest.id, "variables", f"unused variable '{dotted}' (no clause reads it)"))
    return issues


def find_split_tags(docx: bytes, name: str) -> list[LintIssue]:
    """Return Jinja tags in a .docx that are split across runs (or unclosed within their paragraph)."""
    issues: list[LintIssue] = []
    with zipfile.ZipFile(io.BytesIO(docx)) as package:
        parts = [n for n in package.namelist() if re.fullmatch(r"word/(document|header\d*|footer\d*)\.xml", n)]
        for part in sorted(parts):
            root = etree.fromstring(package.read(part))
            for number, paragraph in enumerate(root.iter(f"{_W}p"), start=1):
                spans: list[tuple[int, int]] = []
                text = ""
                for node in paragraph.iter(f"{_W}t"):
                    chunk = node.text or ""
                    spans.append((len(text), len(text) + len(chunk)))
                    text += chunk
                covered: list[tuple[int, int]] = []
                for match in _TAG.finditer(text):
                    covered.append(match.span())
                    if not any(start <= match.start() and match.end() <= end for start, end in spans):
                        issues.append(
                            LintIssue(
                                name,
                                f"{part} paragraph {number}",
                                f"Jinja tag split across runs: {match.group(0)[:60]}",
                            )
                        )
                for match in _OPENER.finditer(text):
                    if not any(start <= match.start() < end for start, end in covered):
                        issues.append(
                            LintIssue(
                                name, f"{part} paragraph {number}", f"unbalanced Jinja delimiter '{match.group(0)}'"
                            )
                        )
    return issues


def lint_template(
    manifest: TemplateManifest,
    samples: Iterable[TemplateSample],
    *,
    pdf_renderer: PdfRenderer,
    docx_renderer: DocxRenderer,
    max_pages: int | None = None,
    context: AssemblyContext | None = None,
) -> list[LintIssue]:
    """Render every sample (PDF and DOCX) and check the variables; return all findings."""
    issues = variable_issues(manifest)
    issues.extend(
        LintIssue(manifest.id, f"variables{pointer}", "string without maxLength (or enum)")
        for pointer in string_leaves_without_cap(manifest.schema)
    )
    rendered: set[str] = set()
    samples = list(samples)
    if not samples:
        issues.append(LintIssue(manifest.id, "samples", "no samples: every template needs at least one"))
    for sample in samples:
        where = f"samples/{sample.name}.json"
        try:
            document = assemble(manifest, sample.variables, context or sample_context(sample.variables))
            render_pdf(document, pdf_renderer, max_pages=max_pages)
            render_docx(document, docx_renderer)
        except UndersignError as exc:
            details = "; ".join(f"{e.pointer or '/'}: {e.reason}" for e in exc.errors)
            issues.append(LintIssue(manifest.id, where, f"{exc.detail}" + (f" ({details})" if details else "")))
            continue
        rendered.update(clause.id for clause in document.clauses)
    if samples:
        issues.extend(
            LintIssue(manifest.id, f"clause {clause_id}", "no sample renders this clause", severity="warning")
            for clause_id in sorted(set(manifest.clauses) - rendered)
        )
    return issues
