#!/usr/bin/env python3
"""Check an undersign evidence bundle with nothing but Python and the ``cryptography`` package.

This file is the outsider's independent check, so it deliberately shares no code with the
undersign service: it re-implements the hashing rules from docs/audit-chain.md. For every bundle
it checks that every file matches ``manifest.json`` (SHA-256 and size), that no file is missing or
extra, and that the signed statements are signed by the key of ``service-cert.pem`` (and, with
``--cert-sha256``, that this is the certificate you expected). Then:

Per-subject bundles (format version 2: one envelope, client or risk record):
  each event's hash matches its contents and its payload matches ``payload_sha256``; each event
  is in the audit log by an RFC 9162 inclusion proof against the last signed tree head; the
  consistency proof shows the previous signed tree head is a prefix of it; every document and
  disclosure text is named (by SHA-256) in a proven event or payload; an ``audit.checkpoint_filed``
  event names (by SHA-256) a line of ``tree-heads.jsonl``: that head's object was chained.

Whole-chain bundles (format version 1, the operator's):
  ``events.jsonl`` is an unbroken hash chain from seq 1, agreeing with every checkpoint, and the
  last checkpoint covers the last event; every document is named in some event.

Usage: python verify_audit_chain.py BUNDLE(.zip or directory) [--cert-sha256 HEX]
Exit status: 0 if every check passes, 1 if any fails, 2 for a usage error.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

GENESIS_HASH = "0" * 64
EVENT_MEMBERS = {
    "action", "actor", "at", "document_sha256", "hash", "ip", "payload_sha256",
    "prev_hash", "seq", "subjects", "user_agent", "v",
}  # fmt: skip
STATEMENT_MEMBERS = {"at", "hash", "seq", "signer_cert_sha256", "type", "v"}
STATEMENT_MEMBERS_V2 = STATEMENT_MEMBERS | {"root"}


def node_hash(left: bytes, right: bytes) -> bytes:
    """An interior node of the Merkle tree: SHA-256(0x01 || left || right); a leaf is the event's hash."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def inclusion_ok(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> bool:
    """Check an inclusion proof as RFC 9162 section 2.1.3.2 does: ``leaf`` at ``index`` in (``size``, ``root``)."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == root


def consistency_ok(first: int, second: int, first_root: bytes, second_root: bytes, path: list[bytes]) -> bool:
    """Check a consistency proof as RFC 9162 section 2.1.4.2 does: (``first``) is a prefix of (``second``)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not path and first_root == second_root
    if not path:
        return False
    proof = ([first_root] if first & (first - 1) == 0 else []) + list(path)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = proof[0]
    for c in proof[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == first_root and sr == second_root and sn == 0


def canonical(value: object) -> bytes:
    """Canonical JSON as docs/audit-chain.md defines it (sorted keys, no spaces, UTF-8)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _no_float(text: str) -> object:
    """Refuse a non-integer number: the format has none, so one means the file was changed."""
    raise ValueError(f"number {text} is not an integer")


def parse_canonical(data: bytes, where: str) -> Any:
    """Parse JSON that must be byte-for-byte canonical, so what a reader sees is what was hashed."""
    try:
        value = json.loads(data, parse_float=_no_float, parse_constant=_no_float)
    except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise ValueError(f"{where} is not valid JSON ({exc})") from None
    if canonical(value) != data:
        raise ValueError(f"{where} is not in canonical form")
    return value


class Bundle:
    """The bundle's files, read from a directory or a zip, by name ('documents/x.pdf')."""

    def __init__(self, path: Path) -> None:
        self.zip = None if path.is_dir() else zipfile.ZipFile(path)
        if self.zip is None:
            self.names = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
        else:
            self.names = [n for n in self.zip.namelist() if not n.endswith("/")]
            if len(set(self.names)) != len(self.names):
                raise ValueError("the zip holds two members with the same name")
        self.path = path

    def open(self, name: str) -> IO[bytes]:
        """Open one file for reading."""
        return self.zip.open(name) if self.zip else (self.path / name).open("rb")

    def read(self, name: str) -> bytes:
        """Read one (small) file whole."""
        with self.open(name) as handle:
            return handle.read()

    def lines(self, name: str) -> Iterator[tuple[int, bytes]]:
        """Yield (line number, line without its newline); every line must end with a newline."""
        with self.open(name) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.endswith(b"\n"):
                    raise ValueError(f"{name} line {number} does not end with a newline")
                yield number, line[:-1]


def check_manifest(bundle: Bundle, problems: list[str]) -> int:
    """Every file but the manifest is listed with the right SHA-256 and size, and nothing else is."""
    data = bundle.read("manifest.json")
    manifest = parse_canonical(data[:-1], "manifest.json") if data.endswith(b"\n") else None
    if not isinstance(manifest, dict) or set(manifest) != {"files", "format", "v"}:
        raise ValueError("manifest.json is not a bundle manifest")
    if manifest["format"] != "undersign-evidence-bundle" or manifest["v"] not in (1, 2):
        raise ValueError("manifest.json names an unknown bundle format")
    listed, present = manifest["files"], set(bundle.names) - {"manifest.json"}
    before = len(problems)
    for name in sorted(set(listed) | present):
        entry = listed.get(name)
        if entry is None:
            problems.append(f"{name}: not listed in manifest.json")
        elif name not in present:
            problems.append(f"{name}: listed in manifest.json but missing")
        else:
            digest, size = hashlib.sha256(), 0
            with bundle.open(name) as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
                    size += len(chunk)
            if entry != {"sha256": digest.hexdigest(), "size": size}:
                problems.append(f"{name}: SHA-256 or size differs from manifest.json (the file was changed)")
    if len(problems) == before:
        print(f"ok    {len(listed)} files match manifest.json")
    return int(manifest["v"])


def signature_ok(public_key: object, algorithm: str, signature: bytes, data: bytes) -> bool:
    """Check an ECDSA P-256 (DER) or RSA PKCS#1 v1.5 signature over ``data`` with SHA-256."""
    try:
        if algorithm == "ecdsa-p256-sha256" and isinstance(public_key, ec.EllipticCurvePublicKey):
            if not isinstance(public_key.curve, ec.SECP256R1):
                return False
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
            return True
        if algorithm == "rsa-pkcs1v15-sha256" and isinstance(public_key, rsa.RSAPublicKey):
            if public_key.key_size < 2048:
                return False
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
            return True
    except InvalidSignature:
        pass
    return False


def check_checkpoints(
    bundle: Bundle,
    certificate: x509.Certificate,
    problems: list[str],
    name: str = "checkpoints.jsonl",
    roots: dict[int, str] | None = None,
) -> dict[int, str]:
    """Return {seq: hash} of the checkpoints whose signature verifies (and fill ``roots`` with {seq: root})."""
    fingerprint = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
    heads: dict[int, str] = {}
    for number, line in bundle.lines(name):
        doc = parse_canonical(line, f"{name} line {number}")
        statement = doc.get("statement") if isinstance(doc, dict) else None
        if not isinstance(statement, dict) or set(doc) != {"algorithm", "signature", "statement"}:
            raise ValueError(f"{name} line {number} is not a signed checkpoint")
        if set(statement) not in (STATEMENT_MEMBERS, STATEMENT_MEMBERS_V2):
            raise ValueError(f"{name} line {number} is not a signed checkpoint")
        if statement["type"] != "undersign.audit-checkpoint" or statement["v"] != (2 if "root" in statement else 1):
            raise ValueError(f"{name} line {number} has an unknown type or version")
        seq = statement["seq"]
        if statement["signer_cert_sha256"] != fingerprint:
            problems.append(f"checkpoint at seq {seq}: names a different certificate than service-cert.pem")
        elif not signature_ok(
            certificate.public_key(),
            doc["algorithm"],
            base64.b64decode(doc["signature"], validate=True),
            canonical(statement),
        ):
            problems.append(f"checkpoint at seq {seq}: the signature does not verify (forged or altered)")
        elif heads and seq <= max(heads):
            problems.append(f"checkpoint at seq {seq}: checkpoints are not in ascending seq order")
        else:
            heads[seq] = statement["hash"]
            if roots is not None and "root" in statement:
                roots[seq] = statement["root"]
            print(f"ok    checkpoint at seq {seq} signed {statement['at']}")
    if not heads:
        problems.append(f"{name}: no valid signed checkpoint")
    return heads


def check_subject(bundle: Bundle, certificate: x509.Certificate, problems: list[str]) -> None:
    """Check a per-subject bundle: events, payloads, inclusion proofs, consistency, documents."""
    roots: dict[int, str] = {}
    check_checkpoints(bundle, certificate, problems, "tree-heads.jsonl", roots)
    if not roots:
        problems.append("tree-heads.jsonl: no signed tree head with a Merkle root")
        return
    size = max(roots)
    root = bytes.fromhex(roots[size])
    if len(roots) > 1:
        first = max(seq for seq in roots if seq < size)
        if "consistency.json" not in bundle.names:
            problems.append("consistency.json: missing, though the bundle holds two tree heads")
        else:
            proof = parse_canonical(bundle.read("consistency.json")[:-1], "consistency.json")
            if proof["first"] != {"root": roots[first], "size": first} or proof["second"] != {
                "root": roots[size], "size": size}:  # fmt: skip
                problems.append("consistency.json: does not name the two signed tree heads")
            elif not consistency_ok(first, size, bytes.fromhex(roots[first]), root,
                                    [bytes.fromhex(p) for p in proof["path"]]):  # fmt: skip
                problems.append(f"consistency.json: the log of {first} events is not a prefix of the one of {size}")
            else:
                print(f"ok    the log grew from {first} to {size} events by appending only (consistency proof)")
    events: dict[int, dict[str, Any]] = {}
    for number, line in bundle.lines("events.jsonl"):
        event = parse_canonical(line, f"events.jsonl line {number}")
        if not isinstance(event, dict) or set(event) != EVENT_MEMBERS or event["v"] != 1:
            raise ValueError(f"events.jsonl line {number} is not an audit event")
        body = {key: value for key, value in event.items() if key != "hash"}
        if hashlib.sha256(canonical(body)).hexdigest() != event["hash"]:
            problems.append(f"events.jsonl line {number}: seq {event['seq']} does not match its hash (edited)")
        elif event["seq"] in events:
            problems.append(f"events.jsonl line {number}: seq {event['seq']} appears twice")
        else:
            events[event["seq"]] = event
    payloads: dict[int, Any] = {}
    for number, line in bundle.lines("payloads.jsonl"):
        row = parse_canonical(line, f"payloads.jsonl line {number}")
        seq: Any = row.get("seq") if isinstance(row, dict) else None
        event = events.get(seq)
        if event is None or set(row) != {"payload", "seq"}:
            problems.append(f"payloads.jsonl line {number}: not the payload of an event in this bundle")
        elif hashlib.sha256(canonical(row["payload"])).hexdigest() != event["payload_sha256"]:
            problems.append(f"payloads.jsonl line {number}: the payload of seq {seq} was changed")
        else:
            payloads[seq] = row["payload"]
    missing = [seq for seq, event in events.items() if event["payload_sha256"] is not None and seq not in payloads]
    if missing:
        problems.append(f"payloads.jsonl: the payloads of seq {missing[:5]} are missing")
    proven: set[int] = set()
    for number, line in bundle.lines("proofs.jsonl"):
        row = parse_canonical(line, f"proofs.jsonl line {number}")
        seq = row.get("seq") if isinstance(row, dict) else None
        event = events.get(seq)
        if event is None or row.get("leaf_index") != seq - 1 or row.get("tree_size") != size:
            problems.append(f"proofs.jsonl line {number}: not a proof of an event in this bundle against the head")
        elif not inclusion_ok(bytes.fromhex(event["hash"]), seq - 1, size, [bytes.fromhex(p) for p in row["path"]],
                              root):  # fmt: skip
            problems.append(f"proofs.jsonl line {number}: seq {seq} is not in the signed audit log (proof fails)")
        else:
            proven.add(seq)
    unproven = sorted(set(events) - proven)
    if unproven:
        problems.append(f"events.jsonl: seq {unproven[:5]} have no valid inclusion proof")
    else:
        print(f"ok    {len(events)} events of this subject proven in the signed log of {size} events")
    named = {events[seq]["document_sha256"] for seq in proven}
    texts = json.dumps([payloads.get(seq) for seq in proven])
    heads = {hashlib.sha256(line + b"\n").hexdigest(): number for number, line in bundle.lines("tree-heads.jsonl")}
    for seq in sorted(proven):
        if events[seq]["action"] == "audit.checkpoint_filed":
            head_line = heads.get(events[seq]["document_sha256"])
            if head_line is None:
                problems.append(f"events.jsonl: seq {seq} files a tree head that tree-heads.jsonl does not hold")
            else:
                print(f"ok    tree head on line {head_line} of tree-heads.jsonl was recorded in the log at seq {seq}")
    for name in bundle.names:
        digest = hashlib.sha256(bundle.read(name)).hexdigest() if "/" in name else ""
        if name.startswith("documents/") and digest not in named:
            problems.append(f"{name}: its SHA-256 is not recorded in any proven event")
        elif name.startswith("documents/"):
            print(f"ok    {name} is the document recorded in the log")
        elif name.startswith("disclosure/") and digest in texts:
            print(f"ok    {name} is the disclosure text a signer consented to")
    for seq in sorted(proven):
        event = events[seq]
        print(f"event {event['at']}  {event['action']:<24} {event['actor']['id']}")


def check_events(bundle: Bundle, heads: dict[int, str], problems: list[str]) -> set[str]:
    """Walk the hash chain; return the document SHA-256 values the events name."""
    documents: set[str] = set()
    prev_seq, prev_hash = 0, GENESIS_HASH
    for number, line in bundle.lines("events.jsonl"):
        event = parse_canonical(line, f"events.jsonl line {number}")
        if not isinstance(event, dict) or set(event) != EVENT_MEMBERS or event["v"] != 1:
            raise ValueError(f"events.jsonl line {number} is not an audit event")
        body = {key: value for key, value in event.items() if key != "hash"}
        seq = event["seq"]
        if hashlib.sha256(canonical(body)).hexdigest() != event["hash"]:
            problem = f"seq {seq}: the contents do not match the hash (edited)"
        elif seq > prev_seq + 1:
            problem = f"seq {prev_seq + 1}: missing, seq {seq} comes next (events deleted or moved)"
        elif seq <= prev_seq:
            problem = f"seq {seq}: comes again after seq {prev_seq} (an extra event, or events moved)"
        elif event["prev_hash"] != prev_hash:
            problem = f"seq {seq}: does not link to seq {prev_seq} (an event was rewritten)"
        elif heads.get(seq, event["hash"]) != event["hash"]:
            problem = f"seq {seq}: differs from the signed checkpoint (the chain was rewritten)"
        else:
            problem = None
        if problem:
            problems.append(f"events.jsonl line {number}: chain broken at {problem}")
            return documents
        if event["document_sha256"] is not None:
            documents.add(event["document_sha256"])
        prev_seq, prev_hash = seq, event["hash"]
    last_checkpoint = max(heads, default=0)
    if last_checkpoint > prev_seq:
        problems.append(f"events.jsonl ends at seq {prev_seq}, but a checkpoint covers seq {last_checkpoint}")
    elif last_checkpoint < prev_seq:
        problems.append(f"seqs {last_checkpoint + 1}..{prev_seq} are not covered by a signed checkpoint")
    else:
        print(f"ok    {prev_seq} events chained from seq 1, head covered by the last checkpoint")
    return documents


def verify(path: Path, expected_cert_sha256: str | None) -> list[str]:
    """Run every check on the bundle at ``path``; return the problems found (empty means valid)."""
    problems: list[str] = []
    try:
        bundle = Bundle(path)
        version = check_manifest(bundle, problems)
        certificate = x509.load_pem_x509_certificate(bundle.read("service-cert.pem"))
        fingerprint = hashlib.sha256(certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
        print(f"info  signer {certificate.subject.rfc4514_string()}, certificate SHA-256 {fingerprint}")
        if expected_cert_sha256 and expected_cert_sha256.lower() != fingerprint:
            problems.append("service-cert.pem is not the certificate given with --cert-sha256")
        if version == 2:
            check_subject(bundle, certificate, problems)
            return problems
        heads = check_checkpoints(bundle, certificate, problems)
        named = check_events(bundle, heads, problems)
        for name in bundle.names:
            if name.startswith("documents/"):
                digest = hashlib.sha256(bundle.read(name)).hexdigest()
                if digest not in named:
                    problems.append(f"{name}: its SHA-256 is not recorded in any verified event")
    except (OSError, KeyError, TypeError, ValueError, AttributeError, zipfile.BadZipFile) as exc:
        problems.append(f"cannot read the bundle: {exc.__class__.__name__}: {exc}")
    return problems


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print the findings and return the exit status."""
    parser = argparse.ArgumentParser(description="Verify an undersign evidence bundle (zip or directory).")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--cert-sha256", help="SHA-256 of the service certificate you expect (hex)")
    args = parser.parse_args(argv)
    problems = verify(args.bundle, args.cert_sha256)
    if not args.cert_sha256:
        print("note  no --cert-sha256 given: compare the certificate SHA-256 above with the operator's")
    for problem in problems:
        print(f"FAIL  {problem}")
    print("VERDICT: INVALID" if problems else "VERDICT: VALID")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
