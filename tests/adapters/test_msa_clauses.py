"""MSA clauses: termination grounds and paragraphs, and the payment options (annual billing, autopay discount)."""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from adapters.template_library import TemplateLibrary
from domain.assembly.assemble import assemble
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


def critical_controls(catalogue: Path) -> list[str]:
    """Return the control names the risk catalogue flags critical, in catalogue order."""
    risks = yaml.safe_load(catalogue.read_text(encoding="utf-8"))["risks"]
    return [r["control_name"] for r in risks.values() if r.get("critical")]


class TestCriticalControlsFromTheCatalogue:
    def test_the_ground_lists_exactly_the_catalogue_s_critical_controls(self) -> None:
        """Item 3 names every control flagged critical in risks.yaml, in order, and no unflagged one."""
        names = critical_controls(REPO_ROOT / "templates/waivers/risks.yaml")
        assert len(names) >= 3
        ground = " ".join(next(line for line in termination_lines("us-tx-monthly") if line.startswith("3. ")).split())
        assert "the controls the Provider deems critical are: " + "; ".join(names[:-1]) + "; and " + names[-1] in ground
        assert "firewall" not in ground.lower()

    def test_flagging_another_control_in_the_catalogue_changes_the_contract(self, tmp_path: Path) -> None:
        """Marking the firewall critical in a copy of the library adds it to the MSA text: no copied list."""
        root = tmp_path / "templates"
        shutil.copytree(REPO_ROOT / "templates", root)
        catalogue = root / "waivers/risks.yaml"
        data = yaml.safe_load(catalogue.read_text(encoding="utf-8"))
        data["risks"]["firewall"].update(critical=True, control_name="a supported, managed firewall")
        catalogue.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        library = TemplateLibrary(root)
        variables = next(s.variables for s in library.samples("msa/msa") if s.name == "us-tx-monthly")
        document = assemble(library.get("msa/msa"), variables, sample_context(variables))
        text = " ".join(next(c for c in document.clauses if c.id == "msa.termination").text.split())
        assert "; and a supported, managed firewall)" in text


def clause_text(sample: str, clause_id: str) -> str:
    """Return the plain text of one clause of an MSA sample."""
    manifest = LIBRARY.get("msa/msa")
    variables = next(s.variables for s in LIBRARY.samples("msa/msa") if s.name == sample)
    document = assemble(manifest, variables, sample_context(variables))
    return next(c for c in document.clauses if c.id == clause_id).text


class TestPaymentOptions:
    def test_autopay_discount_is_stated_with_its_end(self) -> None:
        """A sample with autopay and a 2% discount says so, and says when the discount ends."""
        text = clause_text("us-tx-monthly", "msa.payment-terms")
        assert "recurring Fees are reduced by 2%" in text and "first collection that fails" in text

    def test_annual_billing_in_advance_with_discount(self) -> None:
        """A sample with annual billing states yearly invoicing in advance, its 5% discount and pro-rata additions."""
        text = clause_text("gb-eng-prepaid-hours", "msa.payment-terms")
        assert "invoiced once a year, in advance" in text and "discount of 5%" in text and "pro rata" in text

    def test_no_option_no_words(self) -> None:
        """Without the options, the clause mentions neither discount nor annual billing."""
        text = clause_text("us-ny-minimal-no-interest", "msa.payment-terms")
        assert "discount" not in text and "once a year" not in text
