"""``auditor attest RESULTS SNAPSHOT (--key FILE | --sigstore)``: sign a results document.

Writes ``results.intoto.jsonl`` beside RESULTS: a DSSE envelope of an in-toto Statement
whose subjects are the results document, the snapshot and the policy set (sha256), and
whose predicate records the tool version, baseline, gate verdict, tenant id and who
collected the snapshot and when (the collector's token claims, never a token).

With ``--key`` the envelope is signed with a PEM private key (Ed25519 or ECDSA P-256),
offline; an encrypted key's passphrase comes from AUDITOR_SIGNING_KEY_PASSWORD. With
``--sigstore`` it is signed keylessly with the CI job's OIDC identity (Fulcio certificate,
Rekor transparency log) and written as a Sigstore bundle; it needs
``pip install 'auditor[sigstore]'`` and, in GitHub Actions, ``permissions: id-token: write``.

The receiver checks it with ``auditor verify RESULTS SNAPSHOT --attestation FILE``
(docs/evidence.md). Exit codes: 0 written, 2 usage or input error.
"""

from __future__ import annotations

import argparse

from auditor.cli import plain


def add_signing_arguments(parser: argparse.ArgumentParser) -> None:
    """``--key FILE`` and ``--sigstore`` (shared with ``audit --attest``)."""
    parser.add_argument("--key", metavar="FILE", help="PEM private key (Ed25519 or ECDSA P-256) to sign with")
    parser.add_argument(
        "--sigstore",
        action="store_true",
        help="sign keylessly with the CI's OIDC identity through Sigstore (Fulcio, Rekor)",
    )


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "attest",
        help="sign a results document: writes results.intoto.jsonl beside it",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", metavar="RESULTS", help="results.json written by 'auditor audit'")
    p.add_argument("snapshot", metavar="SNAPSHOT", help="the snapshot file the audit read")
    add_signing_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from auditor.results.attest import attest

    target = attest(args.results, args.snapshot, key=args.key, sigstore=args.sigstore)
    print(f"wrote {target}")
    return 0


def add_audit_arguments(parser: argparse.ArgumentParser) -> None:
    """``--attest (--key FILE | --sigstore)`` for ``audit`` and ``run``."""
    parser.add_argument(
        "--attest",
        action="store_true",
        help="also sign the results: writes results.intoto.jsonl (needs --key FILE or --sigstore)",
    )
    add_signing_arguments(parser)


def check_audit_usage(args: argparse.Namespace, formats: list[str]) -> None:
    """Refuse an ``--attest`` that could not be honoured before the audit runs (exit 2)."""
    from auditor.errors import InputError

    attest, key, sigstore = (
        getattr(args, "attest", False),
        getattr(args, "key", None),
        getattr(args, "sigstore", False),
    )
    if not attest:
        if key or sigstore:
            raise InputError("--key and --sigstore sign the results: add --attest", source="audit")
        return
    if bool(key) == bool(sigstore):
        raise InputError("--attest needs exactly one of --key FILE or --sigstore", source="--attest")
    if "json" not in formats:
        raise InputError("--attest signs results.json: include the json format", source="--attest")
    if getattr(args, "redact", False) or getattr(args, "redact_key_file", None):
        raise InputError(
            "--attest signs what 'auditor verify' can re-check, and a redacted document cannot be; "
            "attest the unredacted run",
            source="--attest",
        )
    if key:
        from auditor.results.attest import load_private_key

        load_private_key(key)  # a wrong key or passphrase fails now, not after the audit
