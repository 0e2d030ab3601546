"""Fixtures for the assembly tests: the fixture template library, warm renderers and a fixed context.

The fixture library (fixtures/library) is small and owned by these tests; the shipped layout under
templates/_shared is the one under test.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest

from adapters.template_library import TemplateLibrary
from domain.assembly import (
    AssembledDocument,
    AssemblyContext,
    Branding,
    ClientInfo,
    Contact,
    DocumentRef,
    DocxRenderer,
    PdfRenderer,
    TemplateManifest,
)
from domain.assembly.assemble import assemble

from .support import FIXTURES, SHARED


@pytest.fixture(scope="session")
def library() -> TemplateLibrary:
    """The fixture template library, rendered with the shipped shared layout."""
    return TemplateLibrary(FIXTURES, shared_dir=SHARED)


@pytest.fixture(scope="session")
def pdf_renderer(library: TemplateLibrary) -> PdfRenderer:
    """One warm PDF renderer for the session, as a worker would keep it."""
    return library.pdf_renderer()


@pytest.fixture(scope="session")
def docx_renderer(library: TemplateLibrary) -> DocxRenderer:
    """The shipped DOCX layout."""
    return library.docx_renderer()


@pytest.fixture
def context() -> AssemblyContext:
    """A fixed branding/client/document context."""
    return AssemblyContext(
        branding=Branding(msp_name="Acme IT Services Ltd", address="10 Main Street, Vancouver BC"),
        client=ClientInfo(
            legal_name="Globex Corporation",
            short_name="Globex",
            address="1 Globex Way",
            jurisdiction="CA-BC",
            contact=Contact(name="Hank Scorpio", email="hank@globex.example", title="CEO"),
        ),
        document=DocumentRef(id="DOC-2026-0007", version=3, date=date(2026, 3, 1)),
    )


@pytest.fixture
def agreement(library: TemplateLibrary) -> TemplateManifest:
    """The fixture agreement template."""
    return library.get("demo/agreement")


@pytest.fixture
def us_variables(library: TemplateLibrary) -> dict[str, Any]:
    """The US sample of the fixture agreement (a fresh copy per test)."""
    sample = next(s for s in library.samples("demo/agreement") if s.name == "us")
    return json.loads(json.dumps(sample.variables))


@pytest.fixture
def assembled(agreement: TemplateManifest, us_variables: dict[str, Any], context: AssemblyContext) -> AssembledDocument:
    """The US sample assembled."""
    return assemble(agreement, us_variables, context)
