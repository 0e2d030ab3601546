"""``template_digest``: one fingerprint per template text, changed by any edit that changes what is printed."""

from __future__ import annotations

from dataclasses import replace

from adapters.template_library import TemplateLibrary
from domain.template_reviews import template_digest


class TestTemplateDigest:
    def test_same_text_same_digest_and_every_template_differs(self, template_library: TemplateLibrary) -> None:
        """The digest is stable across reads and no two shipped templates share one."""
        digests = [template_digest(m) for m in template_library.list()]
        assert digests == [template_digest(m) for m in template_library.list()]
        assert len(set(digests)) == len(digests) and all(len(d) == 64 for d in digests)

    def test_a_clause_the_schema_or_the_data_changing_changes_the_digest(
        self, template_library: TemplateLibrary
    ) -> None:
        """Editing a clause file, the variables' schema or the template's data gives a new digest."""
        manifest = template_library.get("msa/msa")
        before = template_digest(manifest)
        clause_id, clause = next(iter(manifest.clauses.items()))
        edited_clause = replace(manifest, clauses={**manifest.clauses, clause_id: replace(clause, sha256="1" * 64)})
        edited_schema = replace(manifest, schema={**manifest.schema, "title": "changed"})
        edited_data = replace(manifest, data={**manifest.data, "extra": 1})
        assert len({before, *(template_digest(m) for m in (edited_clause, edited_schema, edited_data))}) == 4
