"""Whole-log verification from exported lines: confirms a sound log fast, and explains a changed one."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from functools import cache, partial

from domain.audit import AuditEvent, Checkpoint, verify_chain
from domain.audit.log_verify import BATCH, verify_log_lines
from domain.audit.merkle import root_from_leaves
from domain.audit.verify import TamperKind
from tests.domain.audit.support import build_chain, edited

AT = datetime(2026, 3, 1, tzinfo=UTC)
CERT = "c" * 64


@cache
def chain() -> tuple[AuditEvent, ...]:
    """A log of two full batches and a bit (made once)."""
    return tuple(build_chain(2 * BATCH + 37))


def head_of(events: tuple[AuditEvent, ...] | list[AuditEvent], seq: int) -> Checkpoint:
    """A signed-tree-head statement for the first ``seq`` events."""
    root = root_from_leaves(bytes.fromhex(e.hash) for e in events[:seq]).hex()
    return Checkpoint(seq=seq, hash=events[seq - 1].hash, at=AT, signer_cert_sha256=CERT, root=root)


def lines_of(events: tuple[AuditEvent, ...] | list[AuditEvent]) -> list[bytes]:
    """The exported form of the log."""
    return [event.to_json_line() for event in events]


class TestVerifyLogLines:
    def test_sound_log_is_confirmed_with_every_tree_head(self) -> None:
        """Tree heads inside a batch, at a batch end and at the head all match; the root is the tree's."""
        events = chain()
        heads = [head_of(events, seq) for seq in (5, BATCH, BATCH + 100, len(events))]
        verdict = verify_log_lines(lambda: lines_of(events), heads)
        assert verdict.ok and verdict.checked == len(events) and verdict.checkpoints_matched == 4
        assert heads[-1].root is not None and heads[-1].root in verdict.message

    def test_edited_line_is_explained_as_verify_chain_would(self) -> None:
        """A changed event falls back to the careful path, which names the edited seq."""
        events = list(chain())
        events[BATCH + 3] = edited(events[BATCH + 3], action="envelope.voided")
        heads = [head_of(chain(), len(events))]
        verdict = verify_log_lines(lambda: lines_of(events), heads)
        assert not verdict.ok and verdict.kind is TamperKind.EDITED and verdict.first_bad_seq == BATCH + 4
        assert verdict == verify_chain(events, heads)

    def test_wrong_tree_root_is_a_checkpoint_mismatch(self) -> None:
        """A signed root that is not the log's root fails even though every link holds."""
        events = chain()
        good = head_of(events, 10)
        forged = Checkpoint(seq=10, hash=good.hash, at=AT, signer_cert_sha256=CERT, root="0" * 64)
        verdict = verify_log_lines(lambda: lines_of(events), [forged])
        assert not verdict.ok and verdict.kind is TamperKind.CHECKPOINT_MISMATCH

    def test_truncated_log_is_a_deletion(self) -> None:
        """A log that ends before a signed head is reported as deleted events."""
        events = chain()
        verdict = verify_log_lines(lambda: lines_of(events[:-5]), [head_of(events, len(events))])
        assert not verdict.ok and verdict.kind is TamperKind.DELETED

    def test_line_out_of_canonical_form_is_refused(self) -> None:
        """A line with extra whitespace is not what was hashed and is reported as edited."""
        lines = lines_of(chain())
        lines[7] = lines[7].replace(b'{"action"', b'{ "action"')
        verdict = verify_log_lines(lambda: lines, [])
        assert not verdict.ok and verdict.kind is TamperKind.EDITED

    def test_deletion_after_the_last_signed_head_inside_a_batch_is_found(self) -> None:
        """An event removed after the last signed head, in the same batch as that head, is not confirmed."""
        events = list(chain())
        heads = [head_of(events, 10)]
        del events[20]
        verdict = verify_log_lines(lambda: lines_of(events), heads)
        assert not verdict.ok and verdict.first_bad_seq == 21

    def test_changed_stored_hash_is_refused_even_under_a_signed_root(self) -> None:
        """A line whose hash member was changed still has the signed root, but is reported as edited."""
        events = chain()
        lines = lines_of(events)
        lines[3] = lines[3].replace(events[3].hash.encode(), b"f" * 64)
        verdict = verify_log_lines(lambda: lines, [head_of(events, len(events))])
        assert not verdict.ok and verdict.first_bad_seq == 4

    def test_one_changed_byte_anywhere_fails(self) -> None:
        """A byte changed at any of a spread of offsets of the exported log (the last newline too) fails."""
        events = chain()[:300]
        blob = b"".join(lines_of(events))
        heads = [head_of(events, len(events))]
        for offset in [*range(7, len(blob), len(blob) // 11), len(blob) - 1]:
            changed = bytearray(blob)
            changed[offset] ^= 0x01
            lines = bytes(changed).splitlines(keepends=True)
            assert not verify_log_lines(partial(list, lines), heads).ok, offset

    def test_hash_member_must_be_exactly_where_the_canonical_form_has_it(self) -> None:
        """A changed closing quote, or the hash member moved elsewhere in its line, is not confirmed."""
        events = chain()[:40]
        heads = [head_of(events, len(events))]
        member = b',"hash":"' + events[9].hash.encode() + b'"'
        for changed in (
            events[9].to_json_line().replace(member, member[:-1] + b"'"),
            events[9].to_json_line().replace(member, b"").replace(b',"actor":', member + b',"actor":'),
        ):
            lines = lines_of(events)
            lines[9] = changed
            verdict = verify_log_lines(partial(list, lines), heads)
            assert not verdict.ok and verdict.first_bad_seq == 10, changed

    def test_unsigned_tail_must_be_canonical_even_with_a_recomputed_hash(self) -> None:
        """After the last signed head a line rewritten out of canonical form, hash recomputed, is refused."""
        events = chain()[:40]
        lines = lines_of(events)
        body = events[-1].canonical_bytes().replace(b'{"action"', b'{ "action"')
        digest = hashlib.sha256(body).hexdigest()
        lines[-1] = lines[-1].replace(b'{"action"', b'{ "action"').replace(events[-1].hash.encode(), digest.encode())
        verdict = verify_log_lines(lambda: lines, [head_of(events, 30)])
        assert not verdict.ok and verdict.first_bad_seq == 40
