"""Pure webhook rules: which audit records become which events, the retry schedule, the address check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.webhooks.events import EVENT_TYPES, event_for, message_body
from domain.webhooks.schedule import GAPS, RETRY_WINDOW, next_attempt, should_disable
from domain.webhooks.targets import TargetRefused, check_addresses, check_url, refused_address

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class TestEvents:
    def test_envelope_completion_becomes_envelope_completed_with_ids_and_link(self) -> None:
        """The audit record's subjects become ids; the link points at the envelope."""
        event = event_for("envelope.completed", {"envelope": "e1", "document": "d1", "client": "c1"}, {"x": 1})
        assert event is not None and event.type == "envelope.completed"
        assert event.ids == {"envelope_id": "e1", "document_id": "d1", "client_id": "c1"}
        assert event.path == "/v1/envelopes/e1"

    def test_signer_actions_and_dunning_map_to_their_event_types(self) -> None:
        """signer.declined is envelope.declined; a notice issued is dunning.step_issued."""
        assert event_for("signer.declined", {"envelope": "e"}, None).type == "envelope.declined"  # type: ignore[union-attr]
        issued = event_for("dunning.notice_issued", {"invoice": "i", "client": "c", "document": "d"}, {})
        assert issued is not None and issued.type == "dunning.step_issued" and issued.path == "/v1/invoices/i"

    def test_invoice_change_is_announced_only_when_paid(self) -> None:
        """Marking paid announces invoice.paid; a dispute announces nothing."""
        assert event_for("invoice.changed", {"invoice": "i"}, {"paid_on": "2026-11-01"}).type == "invoice.paid"  # type: ignore[union-attr]
        assert event_for("invoice.changed", {"invoice": "i"}, {"dispute_reason": "x"}) is None
        assert event_for("client.created", {"client": "c"}, {}) is None

    def test_payload_never_carries_the_audit_payload(self) -> None:
        """Reasons, names and amounts in the audit record stay out of the webhook body."""
        event = event_for("risk.refused", {"risk": "r", "client": "c"}, {"reason": "Owner said no", "approver": "Bo"})
        assert event is not None
        body = message_body(event.type, event.ids, event.path, "2026-11-25T12:00:00Z", "https://u.example/", 7)
        assert body == {
            "type": "risk.refused",
            "timestamp": "2026-11-25T12:00:00Z",
            "data": {"risk_id": "r", "client_id": "c", "url": "https://u.example/v1/risks/r", "audit_seq": 7},
        }

    def test_every_issue_event_type_is_offered(self) -> None:
        """The event types named in the issue can all be subscribed to."""
        assert {"envelope.viewed", "risk.review_due", "dunning.step_awaiting_approval", "invoice.paid"} <= set(
            EVENT_TYPES
        )


class TestSchedule:
    def test_gaps_grow_and_jitter_stays_within_a_fifth(self) -> None:
        """The n-th retry waits GAPS[n-1], spread by at most 20 % either way."""
        for n, gap in enumerate(GAPS, start=1):
            low = next_attempt(T0, n, T0, 0.0)
            high = next_attempt(T0, n, T0, 0.999999)
            assert low is not None and high is not None
            assert low - T0 == gap * 0.8 and gap * 1.19 < high - T0 <= gap * 1.2

    def test_no_retry_past_three_days(self) -> None:
        """A retry that would fall after the three-day window is not scheduled."""
        late = T0 + RETRY_WINDOW - timedelta(hours=1)
        assert next_attempt(T0, 9, late, 0.5) is None
        assert next_attempt(T0, 1, late, 0.5) is not None

    def test_disable_after_five_days_of_failure(self) -> None:
        """An endpoint failing for five days is disabled; one that never failed is not."""
        assert should_disable(T0, T0 + timedelta(days=5))
        assert not should_disable(T0, T0 + timedelta(days=4, hours=23))
        assert not should_disable(None, T0)


class TestTargets:
    @pytest.mark.parametrize(
        "address",
        [
            "127.0.0.1",
            "::1",
            "10.0.0.1",
            "172.16.5.4",
            "192.168.1.1",
            "169.254.169.254",
            "fe80::1",
            "0.0.0.0",  # noqa: S104 - an address under test, not a bind
            "::ffff:127.0.0.1",
            "100.64.1.1",
            "fd00::1",
            "224.0.0.1",
        ],
    )
    def test_inside_addresses_are_refused(self, address: str) -> None:
        """Loopback, private, link-local, CGNAT, unique-local, multicast and unspecified addresses are refused."""
        assert refused_address(address) is not None
        with pytest.raises(TargetRefused):
            check_addresses("hooks.example", [address])

    def test_public_addresses_pass(self) -> None:
        """Public IPv4 and IPv6 addresses may receive webhooks."""
        assert refused_address("93.184.216.34") is None and refused_address("2606:4700::1111") is None
        check_addresses("hooks.example", ["93.184.216.34", "2606:4700::1111"])

    def test_one_inside_address_among_public_ones_is_refused(self) -> None:
        """A name that also resolves to an inside address is refused (the connection could go either way)."""
        with pytest.raises(TargetRefused, match=r"10\.0\.0\.9"):
            check_addresses("hooks.example", ["93.184.216.34", "10.0.0.9"])

    def test_url_shape(self) -> None:
        """Http is for development only; credentials in the URL and other schemes are refused."""
        assert check_url("https://hooks.example/x", allow_private=False) == ("hooks.example", 443)
        assert check_url("http://127.0.0.1:9000/x", allow_private=True) == ("127.0.0.1", 9000)
        for bad in ("http://hooks.example/x", "ftp://hooks.example/", "https://a:b@hooks.example/", "https:///x"):
            with pytest.raises(TargetRefused):
                check_url(bad, allow_private=False)
