"""The attestation part of ``auditor verify --attestation FILE``.

Kept apart from the re-evaluation so each can change alone. Order: the signature and the
signer first (a statement nobody vouches for is not read further), then each subject's
digest against the files received and the policy set that re-evaluation read.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from auditor.errors import InputError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--attestation",
        metavar="FILE",
        help="results.intoto.jsonl to check: its signature, its signer and every subject digest",
    )
    parser.add_argument("--key", metavar="PUB", help="PEM public key the attestation must be signed with")
    parser.add_argument(
        "--certificate-identity",
        metavar="ID",
        help="Sigstore: the signer identity expected in the certificate (e.g. the vendor's workflow URL)",
    )
    parser.add_argument(
        "--certificate-oidc-issuer",
        metavar="URL",
        help="Sigstore: the OIDC issuer expected (https://token.actions.githubusercontent.com for GitHub Actions)",
    )


def check_usage(args: argparse.Namespace) -> None:
    """Refuse inconsistent flags before anything is read (exit 2)."""
    key, ident, issuer = args.key, args.certificate_identity, args.certificate_oidc_issuer
    if not args.attestation:
        if key or ident or issuer:
            raise InputError(
                "--key and --certificate-* check an attestation: add --attestation FILE", source="verify"
            )
        return
    if key and (ident or issuer):
        raise InputError(
            "give either --key or --certificate-identity/--certificate-oidc-issuer", source="verify"
        )
    if not key and not (ident and issuer):
        raise InputError(
            "--attestation needs the signer to expect: --key PUB, or --certificate-identity ID "
            "with --certificate-oidc-issuer URL",
            source="verify",
        )


def check(
    args: argparse.Namespace,
    *,
    results_path: str,
    snapshot_path: str,
    fresh: Mapping[str, Any],
    ok: Callable[[str], None],
    bad: Callable[[str], None],
    out: Callable[[str], None],
) -> None:
    """Run the attestation checks, reporting each through ``ok``/``bad``; InputError when unreadable."""
    from auditor.results import attest_sigstore
    from auditor.results.attest import document_policy_set
    from auditor.results.attest_verify import (
        check_key_envelope,
        check_sigstore_bundle,
        check_subjects,
        describe,
        parse_statement,
        read_attestation,
    )

    record = read_attestation(args.attestation)
    bundle = attest_sigstore.is_bundle(record)
    if bundle and args.key:
        raise InputError(
            "this attestation is a Sigstore bundle: verify it with --certificate-identity and "
            "--certificate-oidc-issuer",
            source=args.attestation,
        )
    if not bundle and not args.key:
        raise InputError(
            "this attestation is signed with a key: verify it with --key PUB", source=args.attestation
        )
    if bundle:
        signature, payload = check_sigstore_bundle(
            record, args.certificate_identity, args.certificate_oidc_issuer
        )
    else:
        signature, payload = check_key_envelope(record, args.key)
    (ok if signature.ok else bad)(signature.text)
    if payload is None:
        return
    statement = parse_statement(payload)
    out(f"  {describe(statement)}")
    policy_set, _ = document_policy_set(fresh)
    for line in check_subjects(
        statement, results_path=results_path, snapshot_path=snapshot_path, policy_set=policy_set
    ):
        (ok if line.ok else bad)(line.text)
