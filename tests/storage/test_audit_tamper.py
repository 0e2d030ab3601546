"""Tampering with the stored chain (triggers disabled by hand) is detected and located, on both databases."""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from domain.audit import TamperKind, sign_checkpoint, verify_chain
from domain.audit_log import AuditVerification
from storage.audit_trail import SqlAuditTrail
from storage.database import unit_of_work
from tests.fakes.clock import FixedClock
from tests.storage.audit_tampering import (
    ACTOR,
    delete_row,
    edit_row,
    insert_row_after,
    record_events,
    rewrite_from,
    swap_rows,
    triggers_off,
)
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory

N = 10


def verify(runtime: Runtime) -> AuditVerification:
    """Run the service's verification in a fresh unit of work."""
    with unit_of_work(runtime.sessions) as session:
        return ServiceFactory(session, runtime).audit().verify()


def checkpoint(runtime: Runtime) -> None:
    """Sign and file a checkpoint of the current head."""
    with unit_of_work(runtime.sessions) as session:
        ServiceFactory(session, runtime).audit().checkpoint(ACTOR)


def located(result: AuditVerification) -> tuple[TamperKind | None, int | None]:
    """Return the kind and first bad seq of a verification."""
    return result.verdict.kind, result.verdict.first_bad_seq


class TestTamperDetection:
    def test_intact_chain_verifies_with_its_checkpoint(self, runtime: Runtime, clock: FixedClock) -> None:
        """An untouched chain with a checkpoint read back from the store (and its filing event) verifies ok."""
        record_events(runtime, clock, N)
        checkpoint(runtime)
        result = verify(runtime)
        assert result.ok, result.as_dict()
        assert result.checkpoints_verified == 1 and result.verdict.checkpoints_matched == 1
        assert result.verdict.head_seq == N + 1

    def test_triggers_refuse_changes(self, runtime: Runtime, clock: FixedClock) -> None:
        """Without disabling the triggers, UPDATE and DELETE on events and checkpoints are refused."""
        record_events(runtime, clock, 2)
        checkpoint(runtime)
        for statement in (
            "UPDATE audit_events SET action = 'x.y' WHERE seq = 1",
            "DELETE FROM audit_events WHERE seq = 2",
            "DELETE FROM audit_checkpoints",
        ):
            with pytest.raises(DBAPIError), runtime.engine.begin() as conn:
                conn.execute(text(statement))

    def test_edited_row(self, runtime: Runtime, clock: FixedClock) -> None:
        """A row whose action was changed is 'edited' at its seq."""
        record_events(runtime, clock, N)
        edit_row(runtime.engine, 4)
        assert located(verify(runtime)) == (TamperKind.EDITED, 4)

    def test_deleted_row(self, runtime: Runtime, clock: FixedClock) -> None:
        """A deleted row is 'deleted' at its seq."""
        record_events(runtime, clock, N)
        delete_row(runtime.engine, 6)
        assert located(verify(runtime)) == (TamperKind.DELETED, 6)

    def test_inserted_row(self, runtime: Runtime, clock: FixedClock) -> None:
        """A forged row slipped in after seq 5 is 'inserted' at 6, where it sits."""
        record_events(runtime, clock, N)
        insert_row_after(runtime.engine, 5, fake_seq=500)
        assert located(verify(runtime)) == (TamperKind.INSERTED, 6)

    def test_swapped_rows(self, runtime: Runtime, clock: FixedClock) -> None:
        """Two neighbours exchanged in stored order are 'reordered' at the first of them."""
        record_events(runtime, clock, N)
        swap_rows(runtime.engine, 3, 4)
        assert located(verify(runtime)) == (TamperKind.REORDERED, 3)

    def test_consistent_rewrite_is_caught_only_by_checkpoints(self, runtime: Runtime, clock: FixedClock) -> None:
        """A whole-chain rewrite with recomputed hashes passes the links but fails at the signed checkpoint."""
        record_events(runtime, clock, 3)
        checkpoint(runtime)
        record_events(runtime, clock, N - 3, start=3)
        checkpoint(runtime)
        rewrite_from(runtime.engine, 5)
        with triggers_off(runtime.engine) as conn:
            # The forger also empties the database copies of the statements: verification never reads them.
            conn.execute(text("UPDATE audit_checkpoints SET hash = :h"), {"h": "0" * 64})
        result = verify(runtime)
        assert located(result) == (TamperKind.CHECKPOINT_MISMATCH, 4)
        assert result.verdict.checkpoints_matched == 1
        with unit_of_work(runtime.sessions) as session:
            # Without the checkpoints the rewritten chain looks perfect.
            assert verify_chain(SqlAuditTrail(session, clock).stream(), []).ok

    def test_repointed_checkpoint_row_is_a_problem(self, runtime: Runtime, clock: FixedClock) -> None:
        """A checkpoint row re-pointed at a forged object (signed with another key) fails verification."""
        record_events(runtime, clock, 3)
        checkpoint(runtime)
        with unit_of_work(runtime.sessions) as session:
            genuine = ServiceFactory(session, runtime).audit().trusted_checkpoints()[0][0]
        forger_key = ec.generate_private_key(ec.SECP256R1())
        forged = sign_checkpoint(replace(genuine.statement, hash="f" * 64), forger_key)
        blob = runtime.blob_store.put(
            "audit/checkpoints/forged.json", forged.to_json(), content_type="application/json"
        )
        with triggers_off(runtime.engine) as conn:
            conn.execute(
                text("UPDATE audit_checkpoints SET key = :k, version_id = :v"), {"k": blob.key, "v": blob.version_id}
            )
        result = verify(runtime)
        assert not result.ok and result.verdict.ok
        assert [p.reason for p in result.problems] == ["the stored checkpoint's signature does not verify"]

    def test_checkpoint_row_pointing_nowhere_is_a_problem(self, runtime: Runtime, clock: FixedClock) -> None:
        """A checkpoint row whose object version does not exist is reported, not trusted and not a crash."""
        record_events(runtime, clock, 2)
        checkpoint(runtime)
        with triggers_off(runtime.engine) as conn:
            conn.execute(text("UPDATE audit_checkpoints SET key = 'audit/checkpoints/none.json'"))
        result = verify(runtime)
        assert not result.ok and result.checkpoints_verified == 0
        assert [p.reason for p in result.problems] == ["the checkpoint object version is missing from the store"]
