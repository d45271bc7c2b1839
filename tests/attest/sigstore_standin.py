"""A local stand-in for Sigstore's Fulcio (a certificate authority), its CT log and Rekor (a
transparency log), built in memory for a test: it issues a code-signing certificate for an
OIDC identity with an embedded SCT, logs the DSSE signature as a one-entry Merkle tree with a
signed checkpoint and a signed entry timestamp, and writes the trust configuration naming its
keys. The sigstore library then verifies bundles made here exactly as it verifies the
public-good instance's (chain, SCT, identity, inclusion proof, checkpoint, SET, signature).

``serving`` answers sigstore's signing client on 127.0.0.1 as Fulcio (``/api/v2/signingCert``)
and Rekor (``/api/v1/log/entries``) would. It is not Sigstore: it does not check the OIDC
token's signature, keeps a one-entry log, and proves that auditor drives sigstore's signer and
verifier correctly, not that Sigstore's public services accept the requests."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

PAYLOAD_TYPE = "application/vnd.in-toto+json"
ISSUER_V1_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")  # raw bytes, as Fulcio writes it
ISSUER_V2_OID = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")  # a DER UTF8String
SCT_OID = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def _key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(_spki(key)).digest()


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _utf8string(text: str) -> bytes:
    raw = text.encode()
    return b"\x0c" + _der_len(len(raw)) + raw


@dataclass
class Standin:
    """Keys of the stand-in CA, CT log and transparency log; ``start`` bounds their validity."""

    start: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC) - dt.timedelta(days=1))
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    ct_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    log_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    #: the API calls served (``serving``), in order
    requests: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "stand-in"),
                x509.NameAttribute(NameOID.COMMON_NAME, "stand-in fulcio"),
            ]
        )
        pub = self.ca_key.public_key()
        self.ca = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self.start)
            .not_valid_after(self.start + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(
                x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub), critical=False)
            .sign(self.ca_key, hashes.SHA256())
        )

    def trust_config(self, url: str = "https://fulcio.invalid") -> dict[str, Any]:
        """A ClientTrustConfig naming the stand-in's keys; signing goes to ``url`` (``serving``)."""

        def log(key: ec.EllipticCurvePrivateKey, url: str) -> dict[str, Any]:
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(_spki(key.public_key())),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ")},
                },
                "logId": {"keyId": _b64(_key_id(key.public_key()))},
            }

        return {
            "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
            "trustedRoot": {
                "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                "tlogs": [log(self.log_key, "https://rekor.invalid")],
                "certificateAuthorities": [
                    {
                        "subject": {"organization": "stand-in", "commonName": "stand-in fulcio"},
                        "uri": "https://fulcio.invalid",
                        "certChain": {
                            "certificates": [
                                {"rawBytes": _b64(self.ca.public_bytes(serialization.Encoding.DER))}
                            ]
                        },
                        "validFor": {"start": self.start.strftime("%Y-%m-%dT%H:%M:%SZ")},
                    }
                ],
                "ctlogs": [log(self.ct_key, "https://ctfe.invalid")],
                "timestampAuthorities": [],
            },
            "signingConfig": {
                "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                "caUrls": [
                    {
                        "url": url,
                        "majorApiVersion": 1,
                        "operator": "stand-in",
                        "validFor": {"start": "2023-01-01T00:00:00Z"},
                    }
                ],
                "oidcUrls": [],
                "rekorTlogUrls": [
                    {
                        "url": url,
                        "majorApiVersion": 1,
                        "operator": "stand-in",
                        "validFor": {"start": "2023-01-01T00:00:00Z"},
                    }
                ],
                "tsaUrls": [],
                "rekorTlogConfig": {"selector": "ANY"},
                "tsaConfig": {"selector": "ANY"},
            },
        }

    def _leaf(
        self, key: ec.EllipticCurvePublicKey, identity: str, issuer: str, sct: bytes | None
    ) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([]))
            .issuer_name(self.ca.subject)
            .public_key(key)
            .serial_number(self._serial)
            .not_valid_before(self._now - dt.timedelta(seconds=30))
            .not_valid_after(self._now + dt.timedelta(minutes=10))
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()), critical=False
            )
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(identity)]), critical=True
            )
            .add_extension(x509.UnrecognizedExtension(ISSUER_V1_OID, issuer.encode()), critical=False)
            .add_extension(x509.UnrecognizedExtension(ISSUER_V2_OID, _utf8string(issuer)), critical=False)
        )
        if sct is not None:
            builder = builder.add_extension(x509.UnrecognizedExtension(SCT_OID, sct), critical=False)
        return builder.sign(self.ca_key, hashes.SHA256())

    def issue(self, key: ec.EllipticCurvePublicKey, identity: str, issuer: str) -> x509.Certificate:
        """A Fulcio-style certificate with an SCT from the stand-in CT log (RFC 6962 precert entry)."""
        self._now = dt.datetime.now(dt.UTC)
        self._serial = x509.random_serial_number()
        placeholder = self._leaf(key, identity, issuer, sct=b"\x04\x00")
        tbs = placeholder.tbs_precertificate_bytes
        ts = int(self._now.timestamp() * 1000)
        issuer_key_hash = _key_id(self.ca_key.public_key())
        signed = (
            struct.pack("!BBQH", 0, 0, ts, 1)
            + issuer_key_hash
            + len(tbs).to_bytes(3, "big")
            + tbs
            + b"\x00\x00"
        )
        sig = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        sct = (
            b"\x00"
            + _key_id(self.ct_key.public_key())
            + struct.pack("!QH", ts, 0)
            + b"\x04\x03"
            + struct.pack("!H", len(sig))
            + sig
        )
        sct_list = struct.pack("!H", len(sct) + 2) + struct.pack("!H", len(sct)) + sct
        return self._leaf(key, identity, issuer, sct=b"\x04" + _der_len(len(sct_list)) + sct_list)

    def log(self, payload: bytes, signature: bytes, cert: x509.Certificate) -> dict[str, Any]:
        """Log a DSSE signature as Rekor v1 does (dsse 0.0.1 body), in a one-leaf tree: the entry
        with its inclusion proof, signed checkpoint and signed entry timestamp (API response form)."""
        envelope = json.dumps(
            {"payload": _b64(payload), "payloadType": PAYLOAD_TYPE, "signatures": [{"sig": _b64(signature)}]}
        ).encode()
        body = json.dumps(
            {
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": {
                    "envelopeHash": {"algorithm": "sha256", "value": hashlib.sha256(envelope).hexdigest()},
                    "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
                    "signatures": [
                        {
                            "signature": _b64(signature),
                            "verifier": _b64(cert.public_bytes(serialization.Encoding.PEM)),
                        }
                    ],
                },
            }
        ).encode()
        root = hashlib.sha256(b"\x00" + body).digest()  # a one-leaf Merkle tree
        log_id = _key_id(self.log_key.public_key())
        integrated = int(dt.datetime.now(dt.UTC).timestamp())
        note = f"rekor.invalid - 1\n1\n{_b64(root)}\n"
        note_sig = self.log_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        checkpoint = note + "\n" + f"\u2014 rekor.invalid {_b64(log_id[:4] + note_sig)}\n"
        set_payload = rfc8785.dumps(
            {"body": _b64(body), "integratedTime": integrated, "logID": log_id.hex(), "logIndex": 0}
        )
        return {
            hashlib.sha256(body).hexdigest(): {
                "body": _b64(body),
                "integratedTime": integrated,
                "logID": log_id.hex(),
                "logIndex": 0,
                "verification": {
                    "inclusionProof": {
                        "checkpoint": checkpoint,
                        "hashes": [],
                        "logIndex": 0,
                        "rootHash": root.hex(),
                        "treeSize": 1,
                    },
                    "signedEntryTimestamp": _b64(self.log_key.sign(set_payload, ec.ECDSA(hashes.SHA256()))),
                },
            }
        }

    def bundle(self, payload: bytes, identity: str, issuer: str) -> dict[str, Any]:
        """Sign ``payload`` as a DSSE envelope with a fresh key certified for ``identity`` and log it."""
        key = ec.generate_private_key(ec.SECP256R1())
        cert = self.issue(key.public_key(), identity, issuer)
        pae = b"DSSEv1 %d %s %d %s" % (len(PAYLOAD_TYPE), PAYLOAD_TYPE.encode(), len(payload), payload)
        sig = key.sign(pae, ec.ECDSA(hashes.SHA256()))
        ((_, entry),) = self.log(payload, sig, cert).items()
        proof = entry["verification"]["inclusionProof"]
        return {
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": {
                "certificate": {"rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))},
                "tlogEntries": [
                    {
                        "logIndex": "0",
                        "logId": {"keyId": _b64(bytes.fromhex(entry["logID"]))},
                        "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                        "integratedTime": str(entry["integratedTime"]),
                        "inclusionPromise": {
                            "signedEntryTimestamp": entry["verification"]["signedEntryTimestamp"]
                        },
                        "inclusionProof": {
                            "logIndex": "0",
                            "rootHash": _b64(bytes.fromhex(proof["rootHash"])),
                            "treeSize": "1",
                            "hashes": [],
                            "checkpoint": {"envelope": proof["checkpoint"]},
                        },
                        "canonicalizedBody": entry["body"],
                    }
                ],
            },
            "dsseEnvelope": {
                "payload": _b64(payload),
                "payloadType": PAYLOAD_TYPE,
                "signatures": [{"sig": _b64(sig), "keyid": ""}],
            },
        }


class _Handler(BaseHTTPRequestHandler):
    standin: Standin

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _reply(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        if self.path == "/api/v2/signingCert":
            # like Fulcio for GitHub Actions: the identity is the workflow ref, the issuer the token's
            # (a stand-in: the token's signature is not checked)
            token = str(self.headers.get("Authorization", "")).removeprefix("Bearer ")
            claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
            csr = x509.load_pem_x509_csr(base64.b64decode(request["certificateSigningRequest"]))
            key = csr.public_key()
            assert isinstance(key, ec.EllipticCurvePublicKey)
            cert = self.standin.issue(key, f"https://github.com/{claims['job_workflow_ref']}", claims["iss"])
            chain = [c.public_bytes(serialization.Encoding.PEM).decode() for c in (cert, self.standin.ca)]
            self.standin.requests.append("fulcio")
            self._reply(201, {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}})
        elif self.path == "/api/v1/log/entries":
            content = request["spec"]["proposedContent"]
            envelope = json.loads(content["envelope"])
            cert = x509.load_pem_x509_certificate(base64.b64decode(content["verifiers"][0]))
            payload = base64.b64decode(envelope["payload"])
            signature = base64.b64decode(envelope["signatures"][0]["sig"])
            self.standin.requests.append("rekor")
            self._reply(201, self.standin.log(payload, signature, cert))
        else:
            self._reply(404, {"message": f"no such endpoint {self.path}"})


@contextmanager
def serving(standin: Standin) -> Iterator[str]:
    """Serve the stand-in's Fulcio and Rekor APIs on 127.0.0.1; yields the base URL."""
    handler = type("Handler", (_Handler,), {"standin": standin})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
