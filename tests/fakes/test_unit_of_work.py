"""The fake unit of work commits a block's rows, or rolls back every fake it spans when the block raises."""

from __future__ import annotations

import pytest

from domain.actor import SYSTEM
from domain.ports import OutgoingMail
from tests.fakes.audit import FakeAuditTrail
from tests.fakes.clock import FixedClock
from tests.fakes.mail import RecordingMailer
from tests.fakes.unit_of_work import FakeUnitOfWork


class TestFakeUnitOfWork:
    def test_a_failing_block_rolls_back_rows_but_not_mail(self) -> None:
        """Audit events of a failed block vanish; those of a committed block stay; mail sent stays sent."""
        audit, mailer = FakeAuditTrail(FixedClock()), RecordingMailer()
        database = FakeUnitOfWork([audit])
        with database.begin():
            audit.record(SYSTEM, "client.created", {"client": "c1"})
        with pytest.raises(RuntimeError), database.begin():
            audit.record(SYSTEM, "client.created", {"client": "c2"})
            mailer.send(OutgoingMail(to=("a@x.example",), subject="S", text="T"))
            raise RuntimeError("the commit failed")
        assert [e.subjects["client"] for e in audit.recorded] == ["c1"] and len(mailer.sent) == 1
        assert (database.commits, database.rollbacks) == (1, 1)
