"""Check an attestation on the receiving side: signature, signer, then every subject.

Each check yields one line that names what did not match, so a receiver can tell a wrong
key from an altered envelope, and an edited results file from a swapped snapshot or a
changed policy. The signature checks are securesystemslib's (key) or sigstore's (keyless).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import InputError
from auditor.results.attest import (
    PAYLOAD_TYPE,
    POLICY_SET_NAME,
    PREDICATE_TYPE,
    STATEMENT_TYPE,
    load_public_key,
    sha256_file,
)


@dataclass(frozen=True)
class Check:
    """One verification line: passed or not, and what it says."""

    ok: bool
    text: str


def read_attestation(path: str | Path) -> dict[str, Any]:
    """The single record of a ``.intoto.jsonl`` file (a DSSE envelope or a Sigstore bundle)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(
            f"cannot read the attestation: {getattr(exc, 'strerror', None) or exc}", source=source
        ) from None
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) != 1:
        raise InputError(f"expected one attestation (one JSON line), found {len(lines)}", source=source)
    try:
        record = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON: {exc.msg} (column {exc.colno})", source=source) from None
    if not isinstance(record, dict):
        raise InputError("an attestation must be a JSON object", source=source)
    return record


def check_key_envelope(record: Mapping[str, Any], public_key: str | Path) -> tuple[Check, bytes | None]:
    """The signature check of a DSSE envelope against a PEM public key, and the payload when valid."""
    from securesystemslib.dsse import Envelope
    from securesystemslib.exceptions import VerificationError

    key = load_public_key(public_key)
    try:
        envelope = Envelope.from_dict(dict(record))
    except Exception as exc:
        raise InputError(f"not a DSSE envelope: {exc}", source="--attestation") from None
    if envelope.payload_type != PAYLOAD_TYPE:
        return Check(
            False, f"signature: payload type is {envelope.payload_type!r}, not {PAYLOAD_TYPE!r}"
        ), None
    keyids = sorted(envelope.signatures)
    if key.keyid not in envelope.signatures:
        return (
            Check(
                False,
                f"signer: the envelope is signed by key {', '.join(k[:16] for k in keyids) or '(none)'}…, "
                f"not by the key given ({key.keyid[:16]}…)",
            ),
            None,
        )
    try:
        envelope.verify([key], 1)
    except VerificationError:
        return (
            Check(
                False,
                f"signature: does not verify with key {key.keyid[:16]}… (the envelope was altered after signing)",
            ),
            None,
        )
    return Check(True, f"signature valid, signed by key {key.keyid[:16]}… ({key.scheme})"), envelope.payload


def check_sigstore_bundle(record: dict[str, Any], identity: str, issuer: str) -> tuple[Check, bytes | None]:
    """The Sigstore bundle's certificate, log entry and signature against the expected identity."""
    from auditor.results.attest_sigstore import SigstoreMismatch, verify_bundle

    try:
        payload_type, payload = verify_bundle(record, identity=identity, issuer=issuer)
    except SigstoreMismatch as exc:
        return Check(False, str(exc)), None
    if payload_type != PAYLOAD_TYPE:
        return Check(False, f"signature: payload type is {payload_type!r}, not {PAYLOAD_TYPE!r}"), None
    return Check(True, f"signature valid (Sigstore), signed by {identity} (issuer {issuer})"), payload


def parse_statement(payload: bytes) -> dict[str, Any]:
    """The in-toto statement in a verified payload; InputError when it is not one of ours."""
    try:
        statement = json.loads(payload)
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise InputError("the signed payload is not JSON", source="--attestation") from None
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        raise InputError("the signed payload is not an in-toto Statement v1", source="--attestation")
    if statement.get("predicateType") != PREDICATE_TYPE:
        raise InputError(
            f"the statement's predicate type is {statement.get('predicateType')!r}, not {PREDICATE_TYPE!r}",
            source="--attestation",
        )
    return statement


def _subject(statement: Mapping[str, Any], role: str) -> tuple[str, str] | None:
    """(name, sha256) of the subject the predicate names for ``role``."""
    name = ((statement.get("predicate") or {}).get("subjects") or {}).get(role)
    for entry in statement.get("subject") or []:
        if isinstance(entry, dict) and entry.get("name") == name:
            return str(name), str((entry.get("digest") or {}).get("sha256", ""))
    return None


def check_subjects(
    statement: Mapping[str, Any], *, results_path: str | Path, snapshot_path: str | Path, policy_set: str
) -> Iterator[Check]:
    """Every subject's digest against the files received and the policy set re-evaluated with."""
    actual = {
        "results": (f"results document {results_path}", sha256_file(results_path)),
        "snapshot": (f"snapshot {snapshot_path}", sha256_file(snapshot_path)),
        "policySet": ("policy set", policy_set),
    }
    for role, (what, digest) in actual.items():
        subject = _subject(statement, role)
        if subject is None:
            yield Check(False, f"subject {role}: the attestation has no subject for the {what}")
            continue
        name, signed = subject
        if signed == digest:
            yield Check(True, f"subject {name}: sha256 matches the {what} ({digest[:16]}…)")
        else:
            yield Check(
                False,
                f"subject {name}: the {what} does not match the attestation: signed sha256 "
                f"{signed[:16]}…, received {digest[:16]}…",
            )


def describe(statement: Mapping[str, Any]) -> str:
    """One line on what the statement says: tenant, collection time, gate, tool."""
    pred = statement.get("predicate") or {}
    tenant = (pred.get("tenant") or {}).get("id", "?")
    when = (pred.get("collection") or {}).get("collectedAt", "?")
    tool = (pred.get("tool") or {}).get("version", "?")
    return f"attested: tenant {tenant}, collected {when}, gate {pred.get('gate', '?')}, auditor {tool}"


__all__ = [
    "POLICY_SET_NAME",
    "Check",
    "check_key_envelope",
    "check_sigstore_bundle",
    "check_subjects",
    "describe",
    "parse_statement",
    "read_attestation",
]
