"""A Sigstore bundle that is well formed but not issued by Sigstore: a self-made certificate
naming a GitHub workflow identity, a DSSE signature by its key, and a made-up Rekor entry.

It is what an attacker without access to Fulcio and Rekor could produce; the keyless verify
path must reject it (sigstore's certificate chain check), and name the identity mismatch
when the receiver expects someone else."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PAYLOAD_TYPE = "application/vnd.in-toto+json"
#: Fulcio's OIDC issuer extension (1.3.6.1.4.1.57264.1.8), DER UTF8String
ISSUER_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def forged_bundle(payload: bytes, identity: str, issuer: str) -> dict[str, Any]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "not-fulcio")]))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(minutes=10))
        .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity)]), critical=True)
        .add_extension(
            x509.UnrecognizedExtension(ISSUER_OID, b"\x0c" + bytes([len(issuer)]) + issuer.encode()),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pae = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)
    sig = key.sign(pae, ec.ECDSA(hashes.SHA256()))
    body = {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [
                {"signature": _b64(sig), "verifier": _b64(cert.public_bytes(serialization.Encoding.PEM))}
            ],
        },
    }
    return {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {
            "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
            "tlogEntries": [
                {
                    "logIndex": "7",
                    "logId": {"keyId": _b64(b"\x01" * 32)},
                    "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                    "integratedTime": str(int(now.timestamp())),
                    "inclusionPromise": {"signedEntryTimestamp": _b64(b"\x02" * 70)},
                    "inclusionProof": {
                        "logIndex": "7",
                        "rootHash": _b64(b"\x03" * 32),
                        "treeSize": "8",
                        "hashes": [_b64(b"\x04" * 32)],
                        "checkpoint": {"envelope": "log.example - 1\n8\nAwMD\n\n\u2014 log.example AAAA\n"},
                    },
                    "canonicalizedBody": _b64(json.dumps(body).encode()),
                }
            ],
        },
        "dsseEnvelope": {
            "payload": _b64(payload),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": _b64(sig), "keyid": ""}],
        },
    }
