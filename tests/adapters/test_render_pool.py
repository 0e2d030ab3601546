"""The pool of warm render workers: budgets, and what happens to the renders beside one that overran."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from adapters.renderers import PooledRenderer
from adapters.template_library import TemplateLibrary
from domain.assembly.context import sample_context
from domain.documents import FileFormat
from domain.errors import RenderBudgetExceeded
from domain.render_job import RenderJob
from undersign.settings import REPO_ROOT

TEMPLATES = REPO_ROOT / "templates"


def _job(timeout: float) -> RenderJob:
    variables: dict[str, Any] = json.loads((TEMPLATES / "msa" / "msa" / "samples" / "us-tx-monthly.json").read_text())
    return RenderJob("msa/msa", variables, sample_context(), (FileFormat.PDF,), timeout_seconds=timeout)


@pytest.fixture
def pool() -> Iterator[PooledRenderer]:
    """A pool of one worker of its own, so that a second render queues behind the first."""
    renderer = PooledRenderer(TemplateLibrary(TEMPLATES), workers=1)
    yield renderer
    renderer.close()


class TestPooledRenderer:
    """Renders in worker processes with a time budget."""

    def test_a_sibling_of_an_overrun_render_is_moved_to_the_new_pool_and_succeeds(self, pool: PooledRenderer) -> None:
        """A render queued behind one that overran is re-run on the rebuilt pool, not lost until its own budget ends."""
        # The first render cannot finish in 50 ms (the worker is still starting), so its pool is torn down
        # while the second is waiting in the same pool. Before the fix the second waited its whole budget
        # and was then reported as too slow.
        overrun = pool.submit(_job(timeout=0.05))
        sibling = pool.submit(_job(timeout=300))
        with pytest.raises(RenderBudgetExceeded):
            pool.result(overrun)
        result = pool.result(sibling)
        assert result.page_count >= 1
        assert result.files[FileFormat.PDF].startswith(b"%PDF-")
        assert pool.restarts == 1

    def test_an_overrun_render_is_stopped_and_the_pool_serves_the_next(self, pool: PooledRenderer) -> None:
        """After an overrun the next render gets a fresh worker and a PDF."""
        with pytest.raises(RenderBudgetExceeded, match=r"longer than 0\.05 s"):
            pool.render(_job(timeout=0.05))
        assert pool.render(_job(timeout=300)).files[FileFormat.PDF].startswith(b"%PDF-")
