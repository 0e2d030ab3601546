"""MSA termination: the without-cause paragraph and the consequences stand apart from the list of grounds."""

from __future__ import annotations

from adapters.template_library import TemplateLibrary
from domain.assembly import assemble
from domain.assembly.context import sample_context
from undersign.settings import REPO_ROOT

LIBRARY = TemplateLibrary(REPO_ROOT / "templates")


def termination_lines(sample: str) -> list[str]:
    """Return the plain-text lines (one per paragraph or list item) of the termination clause of a sample."""
    manifest = LIBRARY.get("msa/msa")
    variables = next(s.variables for s in LIBRARY.samples("msa/msa") if s.name == sample)
    document = assemble(manifest, variables, sample_context(variables))
    clause = next(c for c in document.clauses if c.id == "msa.termination")
    return clause.text.splitlines()


class TestTerminationClause:
    def test_paragraphs_after_the_list_are_not_inside_the_last_item(self) -> None:
        """The insolvency item ends the list; without-cause ending and its consequences are their own paragraphs."""
        lines = termination_lines("ca-bc-retainer")
        insolvency = next(line for line in lines if "insolvent" in line)
        assert insolvency.startswith("4. ") and "without cause" not in insolvency and "When this" not in insolvency
        assert any(line.startswith("Either party may also end this Agreement without cause") for line in lines)
        assert lines[-1].startswith("When this Agreement or an Order ends")

    def test_critical_control_ground(self) -> None:
        """The Provider may end the Agreement when the Client refuses a control the Provider says is critical."""
        lines = termination_lines("us-tx-monthly")
        assert any(
            line.startswith("3. in the case of the Provider, the Client refuses a security control") for line in lines
        )
