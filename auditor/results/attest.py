"""Signed attestations over a results document (``results.intoto.jsonl``).

Why: ``auditor verify`` proves that the verdicts follow from a snapshot and policies, but
not who produced them. An attestation adds that: an in-toto Statement v1 whose subjects
are the results document, the snapshot and the policy set, signed in a DSSE envelope by a
key the receiver knows (this module) or keylessly by a CI identity through Sigstore
(:mod:`auditor.results.attest_sigstore`). The envelope and its signatures are
securesystemslib's; nothing here implements a signature scheme.

The **policy set digest** is the sha256 of the UTF-8 text made of one line per policy,
sorted by policy ID, each ``<sha256 of the policy file>  <policy ID>\\n`` (two spaces, as
``sha256sum`` prints). The attestation takes the per-file hashes from the results
document; ``auditor verify`` recomputes them from the policy files it re-evaluates with.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from auditor import __version__
from auditor.errors import InputError

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "urn:auditor:predicate:audit-results:v1"
PAYLOAD_TYPE = "application/vnd.in-toto+json"
ATTESTATION_FILENAME = "results.intoto.jsonl"
POLICY_SET_NAME = "policy-set"
#: environment variable holding the passphrase of an encrypted PEM signing key
KEY_PASSWORD_ENV = "AUDITOR_SIGNING_KEY_PASSWORD"
#: the collector's token claims an attestation repeats (never a token)
CLAIMS = ("tid", "appid", "azp", "oid", "iat")
_COLLECTOR_KEEP = ("tool", "version", "principal", "cloud", "authMode")


def sha256_file(path: str | Path) -> str:
    """sha256 of a file's bytes, read in blocks (a snapshot can be gigabytes)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    return digest.hexdigest()


def policy_set_digest(policies: Iterable[tuple[str, str]]) -> str:
    """The policy set digest of ``(policy ID, sha256 of its file)`` pairs (see the module doc)."""
    text = "".join(f"{sha}  {pid}\n" for pid, sha in sorted(policies))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_policy_set(doc: Mapping[str, Any]) -> tuple[str, int]:
    """(policy set digest, number of policies) from a results document's ``policySha256`` values."""
    pairs = [(str(r["policyId"]), str(r.get("policySha256") or "")) for r in doc.get("results", [])]
    return policy_set_digest(pairs), len(pairs)


def _collector(snapshot_doc: Mapping[str, Any]) -> dict[str, Any]:
    """The snapshot's ``collector`` block, only the members that say who collected and how:
    whatever else a snapshot file holds, nothing token-like is copied into a signed statement."""
    raw = snapshot_doc.get("collector")
    if not isinstance(raw, Mapping):
        return {}
    out: dict[str, Any] = {k: raw[k] for k in _COLLECTOR_KEEP if k in raw}
    claims = raw.get("claims")
    if isinstance(claims, Mapping):
        out["claims"] = {k: claims[k] for k in CLAIMS if k in claims}
    return out


def build_statement(
    doc: Mapping[str, Any],
    *,
    results_name: str,
    results_sha256: str,
    snapshot_name: str,
    snapshot_sha256: str,
    snapshot_doc: Mapping[str, Any],
) -> dict[str, Any]:
    """The in-toto Statement v1 over a results document, its snapshot and its policy set."""
    policy_digest, count = document_policy_set(doc)
    snap = doc.get("snapshot") or {}
    tenant = snap.get("tenant") or {}
    baseline = doc.get("baseline") or {}
    summary = doc.get("summary") or {}
    integrity = doc.get("integrity") or {}
    predicate: dict[str, Any] = {
        "tool": {"name": "auditor", "version": __version__},
        "results": {
            "schemaVersion": doc.get("schemaVersion"),
            "generatedAt": doc.get("generatedAt"),
            "integrity": integrity.get("value"),
            "producedBy": (doc.get("tool") or {}).get("version"),
        },
        "baseline": {k: baseline[k] for k in ("name", "sha256", "failOn") if k in baseline},
        "gate": summary.get("gate"),
        "summary": {k: v for k, v in summary.items() if k != "gate"},
        "tenant": {k: tenant[k] for k in ("id", "displayName", "defaultDomain") if k in tenant},
        "collection": {
            "collectedAt": snapshot_doc.get("collectedAt", snap.get("collectedAt")),
            "collector": _collector(snapshot_doc),
        },
        "policySet": {"count": count, "digestOf": "sorted lines '<policy file sha256>  <policy ID>'"},
        "subjects": {"results": results_name, "snapshot": snapshot_name, "policySet": POLICY_SET_NAME},
    }
    return {
        "_type": STATEMENT_TYPE,
        "subject": [
            {"name": results_name, "digest": {"sha256": results_sha256}},
            {"name": snapshot_name, "digest": {"sha256": snapshot_sha256}},
            {"name": POLICY_SET_NAME, "digest": {"sha256": policy_digest}},
        ],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


def statement_for_files(
    results_path: str | Path, snapshot_path: str | Path | None, *, snapshot_raw: bytes | None = None
) -> dict[str, Any]:
    """The statement for a results file and the snapshot it was made from (a file, or the
    bytes of an embedded snapshot with ``snapshot_raw``)."""
    from auditor.results import parse_results_json, read_results_text
    from auditor.snapshot.load import decode_bytes

    results_path = Path(results_path)
    text = read_results_text(str(results_path))
    doc = parse_results_json(text, str(results_path))
    if snapshot_raw is None:
        if snapshot_path is None:
            raise InputError("a snapshot file is required", source="attest")
        try:
            snapshot_raw = Path(snapshot_path).read_bytes()
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", source=str(snapshot_path)) from None
    snapshot_name = Path(snapshot_path).name if snapshot_path is not None else "demo-snapshot.json"
    snapshot_doc = decode_bytes(snapshot_raw, snapshot_name)
    snapshot_sha = hashlib.sha256(snapshot_raw).hexdigest()
    recorded = (doc.get("snapshot") or {}).get("sha256")
    if recorded != snapshot_sha:
        raise InputError(
            f"this is not the snapshot the results were made from: the results name sha256 "
            f"{str(recorded)[:16]}…, the file is {snapshot_sha[:16]}…",
            source=snapshot_name,
        )
    return build_statement(
        doc,
        results_name=results_path.name,
        results_sha256=sha256_file(results_path),
        snapshot_name=snapshot_name,
        snapshot_sha256=snapshot_sha,
        snapshot_doc=snapshot_doc,
    )


def statement_bytes(statement: Mapping[str, Any]) -> bytes:
    """The payload bytes that are signed: compact JSON with sorted keys."""
    return json.dumps(statement, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def load_private_key(path: str | Path) -> Any:
    """A PEM private key (Ed25519 or ECDSA P-256) as a securesystemslib ``CryptoSigner``.

    An encrypted key's passphrase comes from ``AUDITOR_SIGNING_KEY_PASSWORD``, never a flag."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    from securesystemslib.signer import CryptoSigner  # type: ignore[attr-defined]  # re-exported at runtime

    source = str(path)
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the signing key: {exc.strerror or exc}", source=source) from None
    password = os.environ.get(KEY_PASSWORD_ENV)
    try:
        key = load_pem_private_key(pem, password.encode("utf-8") if password else None)
    except TypeError:
        raise InputError(
            f"the signing key is encrypted: set {KEY_PASSWORD_ENV} to its passphrase", source=source
        ) from None
    except ValueError as exc:
        raise InputError(f"not a readable PEM private key ({exc})", source=source) from None
    if isinstance(key, ec.EllipticCurvePrivateKey) and not isinstance(key.curve, ec.SECP256R1):
        raise InputError(f"ECDSA keys must be on P-256, this one is on {key.curve.name}", source=source)
    if not isinstance(key, ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey):
        raise InputError("the signing key must be Ed25519 or ECDSA P-256", source=source)
    return CryptoSigner(key)


def load_public_key(path: str | Path) -> Any:
    """A PEM public key (Ed25519 or ECDSA P-256) as a securesystemslib ``SSlibKey``."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519
    from cryptography.hazmat.primitives.serialization import load_pem_public_key
    from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]  # re-exported at runtime

    source = str(path)
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read the public key: {exc.strerror or exc}", source=source) from None
    try:
        key = load_pem_public_key(pem)
    except ValueError as exc:
        raise InputError(f"not a readable PEM public key ({exc})", source=source) from None
    if isinstance(key, ec.EllipticCurvePublicKey) and not isinstance(key.curve, ec.SECP256R1):
        raise InputError(f"ECDSA keys must be on P-256, this one is on {key.curve.name}", source=source)
    if not isinstance(key, ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey):
        raise InputError("the public key must be Ed25519 or ECDSA P-256", source=source)
    return SSlibKey.from_crypto(key)


def sign_with_key(statement: Mapping[str, Any], key_path: str | Path) -> dict[str, Any]:
    """The DSSE envelope (as JSON-ready dict) of ``statement`` signed with the PEM key."""
    from securesystemslib.dsse import Envelope

    signer = load_private_key(key_path)
    envelope = Envelope(payload=statement_bytes(statement), payload_type=PAYLOAD_TYPE, signatures={})
    envelope.sign(signer)
    out: dict[str, Any] = envelope.to_dict()
    return out


def write_attestation(path: str | Path, record: Mapping[str, Any]) -> None:
    """Write one attestation as a JSON line (the ``.intoto.jsonl`` form), atomically."""
    from auditor.snapshot import write_atomic

    line = json.dumps(record, sort_keys=True, separators=(",", ":")) + "\n"
    write_atomic(path, line.encode("utf-8"))


def attest(
    results_path: str | Path,
    snapshot_path: str | Path | None,
    *,
    key: str | Path | None = None,
    sigstore: bool = False,
    out: str | Path | None = None,
    snapshot_raw: bytes | None = None,
) -> Path:
    """Sign a results document and write ``results.intoto.jsonl`` beside it (or at ``out``)."""
    if (key is None) == (not sigstore):
        raise InputError("choose one way to sign: --key FILE or --sigstore", source="--attest")
    statement = statement_for_files(results_path, snapshot_path, snapshot_raw=snapshot_raw)
    if key is not None:
        record = sign_with_key(statement, key)
    else:
        from auditor.results.attest_sigstore import sign_statement

        record = sign_statement(statement_bytes(statement))
    target = Path(out) if out is not None else Path(results_path).with_name(ATTESTATION_FILENAME)
    write_attestation(target, record)
    return target
