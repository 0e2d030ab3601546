"""The template library on disk: templates/ read into validated ``TemplateManifest`` objects.

``TemplateLibrary(root)`` finds every folder with a ``manifest.yaml`` (folders whose name starts with
``_`` hold shared material, not templates), reads the manifest, the clause files it names (the
template's ``clauses/`` first, then the group's ``_clauses/``) and its data files, and validates them
(``TemplateInvalid`` lists every problem with file and place). Parsed templates are cached per
instance; ``reload()`` forgets them. It also hands out the warm renderers built from ``_shared/`` and
runs the ``templates check`` lint over the whole library.

    library = TemplateLibrary(Path("templates"))
    manifest = library.get("msa/msa")
    document = assemble(manifest, variables, context)
    pdf = render_pdf(document, library.pdf_renderer(), max_pages=40)
"""

from __future__ import annotations

import builtins
import json
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from domain.assembly.docx_writer import DocxRenderer
from domain.assembly.lint import LintIssue, TemplateSample, find_split_tags, lint_template
from domain.assembly.manifest import (
    CLAUSE_ID,
    TEMPLATE_ID,
    ClauseSource,
    TemplateManifest,
    parse_clause,
    parse_manifest,
)
from domain.assembly.pdf import PdfRenderer
from domain.errors import FieldError, NotFound, TemplateInvalid, UndersignError

__all__ = ["TemplateLibrary", "TemplateSample"]


@dataclass(frozen=True)
class _Loaded:
    manifest: TemplateManifest
    folder: Path


class TemplateLibrary:
    """Read-only access to a template folder (``templates/`` by default layout, see templates/FORMAT.md)."""

    def __init__(self, root: Path, *, shared_dir: Path | None = None) -> None:
        self.root = root.resolve()
        self.shared_dir = (shared_dir or root / "_shared").resolve()
        self._cache: dict[str, _Loaded] = {}
        self._lock = threading.Lock()
        self._pdf: PdfRenderer | None = None
        self._docx: DocxRenderer | None = None

    # -- discovery ---------------------------------------------------------------------------------

    def ids(self) -> builtins.list[str]:
        """Return the ids of every template in the library, sorted."""
        found = []
        for manifest in self.root.rglob("manifest.yaml"):
            relative = manifest.parent.relative_to(self.root)
            if any(part.startswith((".", "_")) for part in relative.parts):
                continue
            found.append(relative.as_posix())
        return sorted(found)

    def list(self) -> builtins.list[TemplateManifest]:
        """Return every template, loaded and validated, sorted by id."""
        return [self.get(template_id) for template_id in self.ids()]

    def get(self, template_id: str) -> TemplateManifest:
        """Return the template ``template_id`` (``NotFound`` if absent, ``TemplateInvalid`` if broken)."""
        return self._load(template_id).manifest

    def samples(self, template_id: str) -> builtins.list[TemplateSample]:
        """Return the template's sample variables (``samples/*.json``), sorted by file name."""
        folder = self._load(template_id).folder / "samples"
        samples = []
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                variables = json.loads(path.read_text(encoding="utf-8"))
            except (ValueError, UnicodeDecodeError) as exc:
                raise TemplateInvalid(
                    f"sample {path.name} of {template_id} is not JSON",
                    errors=[FieldError(self._rel(path), str(exc))],
                ) from None
            samples.append(TemplateSample(name=path.stem, variables=variables))
        return samples

    def reload(self) -> None:
        """Forget cached templates and renderers so the next access reads the files again."""
        with self._lock:
            self._cache.clear()
            self._pdf = None
            self._docx = None

    # -- renderers ---------------------------------------------------------------------------------

    def pdf_renderer(self) -> PdfRenderer:
        """Return the library's warm PDF renderer (created on first use, then reused)."""
        with self._lock:
            if self._pdf is None:
                self._pdf = PdfRenderer.from_directory(self.shared_dir, allowed_root=self.root)
            return self._pdf

    def docx_renderer(self) -> DocxRenderer:
        """Return the DOCX layout from ``_shared/base.docx``."""
        with self._lock:
            if self._docx is None:
                self._docx = DocxRenderer.from_file(self.shared_dir / "base.docx")
            return self._docx

    # -- lint ----------------------------------------------------------------------------------------

    def check(self, *, max_pages: int | None = None) -> builtins.list[LintIssue]:
        """Lint the whole library (what ``undersign templates check`` reports); empty means clean."""
        issues: builtins.list[LintIssue] = []
        for path in sorted({*self.root.rglob("*.docx"), *self.shared_dir.glob("*.docx")}):
            issues.extend(find_split_tags(path.read_bytes(), self._rel(path)))
        for template_id in self.ids():
            try:
                manifest = self.get(template_id)
                samples = self.samples(template_id)
            except UndersignError as exc:
                issues.extend(LintIssue(template_id, e.pointer, e.reason) for e in exc.errors or [])
                if not exc.errors:
                    issues.append(LintIssue(template_id, "", exc.detail))
                continue
            issues.extend(
                lint_template(
                    manifest,
                    samples,
                    pdf_renderer=self.pdf_renderer(),
                    docx_renderer=self.docx_renderer(),
                    max_pages=max_pages,
                )
            )
            issues.extend(self._unused_clause_files(template_id, manifest))
        return issues

    # -- loading -------------------------------------------------------------------------------------

    def _rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.name

    def _folder(self, template_id: str) -> Path:
        # The id comes from callers (API paths): check its shape before it touches the file system.
        if not TEMPLATE_ID.fullmatch(template_id):
            raise NotFound(f"no template {template_id!r}")
        folder = (self.root / template_id).resolve()
        if not folder.is_relative_to(self.root) or not (folder / "manifest.yaml").is_file():
            raise NotFound(f"no template {template_id!r}")
        return folder

    def _load(self, template_id: str) -> _Loaded:
        cached = self._cache.get(template_id)
        if cached is not None:
            return cached
        folder = self._folder(template_id)
        manifest_path = folder / "manifest.yaml"
        rel = self._rel(manifest_path)
        try:
            raw = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise TemplateInvalid(f"{rel} is not valid YAML", errors=[FieldError(rel, str(exc))]) from None
        raw = raw if isinstance(raw, dict) else {}
        data = self._data_files(folder, raw.get("data"), rel)
        clauses = self._clauses(folder, raw.get("slots"), rel)
        manifest = parse_manifest(raw, expected_id=template_id, clauses=clauses, data=data, path=rel)
        loaded = _Loaded(manifest=manifest, folder=folder)
        with self._lock:
            self._cache[template_id] = loaded
        return loaded

    def _data_files(self, folder: Path, spec: Any, rel: str) -> dict[str, Any]:
        if spec is None:
            return {}
        if not isinstance(spec, dict):
            raise TemplateInvalid(f"{rel}: data must be a mapping", errors=[FieldError(f"{rel}#/data", "mapping")])
        data: dict[str, Any] = {}
        problems: builtins.list[FieldError] = []
        for name, relative in spec.items():
            at = f"{rel}#/data/{name}"
            path = (folder / str(relative)).resolve()
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
                problems.append(FieldError(at, "data names must be identifiers"))
            elif not path.is_relative_to(self.root) or path.suffix not in (".yaml", ".yml") or not path.is_file():
                problems.append(FieldError(at, "must name a .yaml file inside the template library"))
            else:
                try:
                    data[str(name)] = yaml.safe_load(path.read_text(encoding="utf-8"))
                except (yaml.YAMLError, UnicodeDecodeError) as exc:
                    problems.append(FieldError(at, f"not valid YAML: {exc}"))
        if problems:
            raise TemplateInvalid(f"{rel}: bad data files", errors=problems)
        return data

    def _clause_ids(self, slots: Any) -> builtins.list[str]:
        ids: builtins.list[str] = []
        for slot in slots if isinstance(slots, builtins.list) else []:
            if not isinstance(slot, dict):
                continue
            candidates = slot.get("variants")
            variants: builtins.list[Any] = candidates if isinstance(candidates, builtins.list) else [slot]
            ids.extend(v["clause"] for v in variants if isinstance(v, dict) and isinstance(v.get("clause"), str))
        return ids

    def _clauses(self, folder: Path, slots: Any, rel: str) -> dict[str, ClauseSource]:
        clauses: dict[str, ClauseSource] = {}
        problems: builtins.list[FieldError] = []
        for clause_id in self._clause_ids(slots):
            if clause_id in clauses or not CLAUSE_ID.fullmatch(clause_id):
                continue  # parse_manifest reports bad or unknown ids
            for candidate in (folder / "clauses" / f"{clause_id}.md", folder.parent / "_clauses" / f"{clause_id}.md"):
                if candidate.is_file():
                    try:
                        clauses[clause_id] = parse_clause(
                            candidate.read_bytes(), expected_id=clause_id, path=self._rel(candidate)
                        )
                    except TemplateInvalid as exc:
                        problems.extend(exc.errors)
                    break
        if problems:
            raise TemplateInvalid(f"{rel}: invalid clauses", errors=problems)
        return clauses

    def _unused_clause_files(self, template_id: str, manifest: TemplateManifest) -> builtins.list[LintIssue]:
        folder = self._load(template_id).folder / "clauses"
        files = sorted(folder.glob("*.md")) if folder.is_dir() else []
        return [
            LintIssue(template_id, self._rel(path), "clause file is not used by any slot")
            for path in files
            if path.stem not in manifest.clauses
        ]
