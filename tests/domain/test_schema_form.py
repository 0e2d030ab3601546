"""The form generated from a template's JSON Schema gives back exactly the variables it was filled with."""

from __future__ import annotations

import json

import pytest
import yaml

from domain.schema_form import FormVariant, form_items, form_values, read_form
from undersign.settings import REPO_ROOT

SAMPLES = sorted(
    (path.parent.parent.name, path)
    for name in ("msa", "sla-schedule", "order")
    for path in (REPO_ROOT / "templates" / "msa" / name / "samples").glob("*.json")
)


def schema(template: str) -> dict[str, object]:
    """Return the variables schema of a shipped template."""
    manifest = yaml.safe_load((REPO_ROOT / "templates" / "msa" / template / "manifest.yaml").read_text())
    variables: dict[str, object] = manifest["variables"]
    return variables


@pytest.mark.parametrize(("template", "path"), SAMPLES, ids=[p.stem for _t, p in SAMPLES])
def test_every_shipped_sample_survives_the_form(template: str, path: object) -> None:
    """Filling the form with a sample and reading it back gives the sample's variables, with no problem."""
    items = form_items(schema(template))
    sample = json.loads(path.read_text())  # type: ignore[attr-defined]
    answers = read_form(items, form_values(items, sample))
    assert answers.problems == [] and answers.variables == sample


def test_variants_bad_numbers_and_missing_choice_fields_are_named() -> None:
    """Governing law is a variant per country; a bad number, a missing region and an unpicked model are named."""
    items = form_items(schema("msa"))
    (law,) = [i for i in items if isinstance(i, FormVariant) and i.name == "governing_law"]
    assert [c.value for c in law.choices] == ["US", "CA", "GB"] and law.discriminator == "country"
    answers = read_form(items, {"governing_law.country": "US", "term.initial_months": "twelve", "currency": "USD"})
    reasons = {p.pointer: p.reason for p in answers.problems}
    assert reasons == {
        "/term/initial_months": "is not a number",
        "/governing_law/region": "is required",
        "/payment_model": "choose one of the options",
    }
    assert answers.variables["governing_law"] == {"country": "US"} and answers.variables["currency"] == "USD"
