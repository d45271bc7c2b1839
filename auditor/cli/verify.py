"""``auditor verify RESULTS SNAPSHOT``: prove that a results document is what the
snapshot, policies and baseline produce.

An auditor receiving a report and a snapshot should not have to trust the sender:
this command checks, each as one line,

1. the document is a valid results document (schema);
2. its ``integrity`` hash matches its content (no edit after sealing);
3. the snapshot file is the one the audit read (sha256 of its bytes);
4. the policies are the ones the audit ran (each result's ``policySha256`` against the
   sha256 of the policy file, read and hashed by verify itself, never taken from a cache), and
5. re-evaluating the snapshot with the same inputs gives the same results
   (everything but ``generatedAt`` and ``integrity``; the invocation's file
   locations may differ when overridden on the command line).

RESULTS may be a ``results.json`` or a ``report.html`` (its embedded document).
Exit codes: 0 all checks pass, 1 something does not match, 2 unreadable or invalid input.
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from auditor.cli import plain
from auditor.errors import InputError
from auditor.report.htmlreport import extract_results
from auditor.results import (
    canonical_json,
    compute_integrity,
    parse_results_json,
    read_results_text,
    validate_results,
)
from auditor.vocab import counted

if TYPE_CHECKING:
    from auditor.results.types import ResultsDocument

EXIT_MATCH, EXIT_MISMATCH, EXIT_INPUT = 0, 1, 2
#: top-level members not compared on re-evaluation: they legitimately differ per run
#: (``invocation`` is compared only for its content hashes, params and failOn)
#: (``since`` compares with another results document, not with the snapshot: the seal covers it)
IGNORED_MEMBERS = ("generatedAt", "integrity", "invocation", "since")
INVOCATION_COMPARED = ("waiversSha256", "params", "failOn")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "verify",
        help="re-evaluate and confirm that results match the snapshot, policies and hashes",
        description=plain(__doc__),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("results", metavar="RESULTS", help="results.json or report.html")
    p.add_argument("snapshot", metavar="SNAPSHOT", help="the snapshot file the audit read")
    p.add_argument(
        "--policies",
        nargs="+",
        metavar="PATH",
        default=None,
        help="policy files or folders (default: as recorded in the results document)",
    )
    p.add_argument(
        "--baseline",
        metavar="NAME|FILE",
        default=None,
        help="baseline (default: as recorded in the results document)",
    )
    p.add_argument(
        "--waivers",
        metavar="FILE",
        default=None,
        help="waivers file (default: as recorded in the results document)",
    )
    from auditor.cli import verify_attestation

    verify_attestation.add_arguments(p)
    p.set_defaults(func=run)


def _rebuild(
    *,
    snapshot_path: str,
    policy_paths: list[str] | None,
    baseline: str | None,
    waivers: str | None,
    params: dict[str, object],
    fail_on: str | None,
    evidence: str = "needed",
) -> Mapping[str, Any]:
    """Re-run the evaluation as the audit did: the unsealed document it would produce.
    Resolved late so the engine loads only here (and so tests can substitute it)."""
    from auditor import api

    inputs = api.prepare(
        snapshot_path,
        policies=policy_paths,
        baseline=baseline,
        waivers=waivers,
        params=params,
        fail_on=fail_on,
        evidence=evidence,
    )
    return api.evaluate(inputs)


def policy_file_hashes(paths: list[str] | None) -> dict[str, str]:
    """sha256 of every policy file under ``paths`` (the built-in library when None), by its name
    in results, read here: no cached value ever stands in for the hash being checked."""
    from auditor.policy.load import discover_named, expand_policy_paths, read_sources

    sources = read_sources(discover_named(expand_policy_paths(paths)))
    return {src.rel_path: src.sha256 for src in sources}


def read_results(path: str) -> dict[str, Any]:
    """Load the document from a results.json or a report.html, unvalidated."""
    text = read_results_text(path)
    if path.lower().endswith((".html", ".htm")) or text.lstrip()[:1] == "<":
        return extract_results(text, source=path)
    return parse_results_json(text, path)


def compare_documents(recorded: Mapping[str, Any], fresh: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(differing top-level sections, differing policy IDs) between two documents,
    ignoring :data:`IGNORED_MEMBERS`. A policy present on one side only counts as differing."""
    sections = [
        key
        for key in sorted(set(recorded) | set(fresh))
        if key not in IGNORED_MEMBERS
        and key != "results"
        and canonical_json(recorded.get(key)) != canonical_json(fresh.get(key))
    ]
    inv_a, inv_b = recorded.get("invocation") or {}, fresh.get("invocation") or {}
    sections.extend(
        f"invocation.{key}"
        for key in INVOCATION_COMPARED
        if key in inv_a and key in inv_b and canonical_json(inv_a[key]) != canonical_json(inv_b[key])
    )
    a = {r["policyId"]: r for r in recorded.get("results", [])}
    b = {r["policyId"]: r for r in fresh.get("results", [])}
    ids = sorted(
        pid
        for pid in set(a) | set(b)
        if pid not in a or pid not in b or canonical_json(a[pid]) != canonical_json(b[pid])
    )
    order_a = [r["policyId"] for r in recorded.get("results", [])]
    order_b = [r["policyId"] for r in fresh.get("results", [])]
    if not ids and order_a != order_b:
        sections.append("results order")
    return sections, ids


def _listing(ids: list[str], limit: int = 20) -> str:
    more = f", and {len(ids) - limit} more" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _print(line: str) -> None:
    """print, falling back to ASCII marks where stdout cannot encode ✓/✗ (legacy code pages)."""
    try:
        print(line)
    except UnicodeEncodeError:
        print(line.replace("✓", "[ok]").replace("✗", "[FAIL]").encode("ascii", "replace").decode("ascii"))


class _Checks:
    """Collects ✓/✗ lines and the worst outcome."""

    def __init__(self, out: Callable[[str], None]) -> None:
        self.out = out
        self.failed = False

    def ok(self, text: str) -> None:
        self.out(f"✓ {text}")

    def bad(self, text: str) -> None:
        self.failed = True
        self.out(f"✗ {text}")


def verify(
    results_path: str,
    snapshot_path: str,
    *,
    policies: list[str] | None = None,
    baseline: str | None = None,
    waivers: str | None = None,
    out: Callable[[str], None] = _print,
    attestation: argparse.Namespace | None = None,
) -> int:
    """Run every check, printing one line each; return the exit code."""
    checks = _Checks(out)
    try:
        loaded = read_results(results_path)
    except InputError as exc:
        checks.bad(f"results document readable: {exc}")
        return EXIT_INPUT
    try:
        validate_results(loaded, results_path)
        checks.ok("results document matches the results schema")
    except InputError as exc:
        checks.bad(f"results document matches the results schema: {exc}")
        return EXIT_INPUT
    # it matched the results schema: from here on it is a results document
    doc = cast("ResultsDocument", loaded)

    integrity = doc.get("integrity")
    if not integrity:
        checks.bad("integrity hash: the document is not sealed (no integrity member)")
    elif integrity["value"] == compute_integrity(doc):
        checks.ok(f"integrity hash matches ({integrity['value'][:16]}…)")
    else:
        checks.bad(
            f"integrity hash does not match: recorded {integrity['value'][:16]}…, "
            f"content hashes to {compute_integrity(doc)[:16]}… (edited after sealing)"
        )

    inv = doc.get("invocation") or {}
    if inv.get("redacted"):
        # pseudonyms cannot be recomputed without the key, and the key is never recorded
        checks.bad(
            "re-evaluation: the document was redacted (--redact); verify the unredacted results.json "
            "kept with the snapshot"
        )
        return EXIT_INPUT
    try:
        raw = Path(snapshot_path).read_bytes()
    except OSError as exc:
        checks.bad(f"snapshot readable: {snapshot_path}: {exc.strerror or exc}")
        return EXIT_INPUT
    actual = hashlib.sha256(raw).hexdigest()
    recorded = doc["snapshot"]["sha256"]
    if actual == recorded:
        checks.ok(f"snapshot sha256 matches ({actual[:16]}…)")
    else:
        checks.bad(
            f"snapshot sha256 differs: results name {recorded[:16]}…, {snapshot_path} is {actual[:16]}…"
        )

    if not doc.get("invocation"):
        out(
            "  note: the document has no invocation block; re-evaluating with the built-in library "
            "and the recorded baseline name"
        )
    policy_paths = policies if policies is not None else inv.get("policies")
    try:
        fresh = _rebuild(
            snapshot_path=snapshot_path,
            policy_paths=policy_paths,
            baseline=baseline if baseline is not None else inv.get("baseline", doc["baseline"]["name"]),
            waivers=waivers if waivers is not None else inv.get("waivers"),
            params=dict(inv.get("params") or {}),
            fail_on=inv.get("failOn"),
            evidence=inv.get("evidence", "needed"),
        )
    except InputError as exc:
        checks.bad(f"re-evaluation: {exc}")
        out("  hint: --policies, --baseline and --waivers override the locations recorded in the document")
        return EXIT_INPUT

    try:
        own = policy_file_hashes(policy_paths)
    except InputError as exc:
        checks.bad(f"policy files readable: {exc}")
        return EXIT_INPUT
    fresh_by_id = {r["policyId"]: r for r in fresh.get("results", [])}
    changed: list[str] = []
    stale: list[str] = []
    for r in doc["results"]:
        again = fresh_by_id.get(r["policyId"])
        if again is None:
            continue  # a policy that is gone is reported by the comparison below
        hashed = own.get(str(again.get("policyFile")))
        if hashed != r["policySha256"]:
            changed.append(r["policyId"])
        if hashed != again.get("policySha256"):
            stale.append(r["policyId"])
    if changed:
        checks.bad(
            f"policy hashes differ for {counted(len(changed), 'policy')} (policy files changed): {_listing(changed)}"
        )
    else:
        checks.ok(f"policy hashes match ({counted(len(doc['results']), 'policy')})")
    if stale:
        checks.bad(
            f"re-evaluation read other bytes than the policy files hold for {counted(len(stale), 'policy')} "
            f"(edited during the run?): {_listing(sorted(stale))}"
        )

    if attestation is not None and attestation.attestation:
        from auditor.cli import verify_attestation

        try:
            verify_attestation.check(
                attestation, results_path=results_path, snapshot_path=snapshot_path, fresh=fresh,
                ok=checks.ok, bad=checks.bad, out=out,
            )  # fmt: skip
        except InputError as exc:
            checks.bad(f"attestation: {exc}")
            return EXIT_INPUT

    sections, ids = compare_documents(doc, fresh)
    if not sections and not ids:
        checks.ok("re-evaluation gives the same results")
    else:
        what = []
        if ids:
            what.append(f"{counted(len(ids), 'policy differs', 'policies differ')}: {_listing(ids)}")
        if sections:
            what.append(f"sections differ: {', '.join(sections)}")
        checks.bad("re-evaluation differs: " + "; ".join(what))
    if checks.failed:
        out("Verification FAILED: the results do not match the inputs.")
        return EXIT_MISMATCH
    out("Verification passed: the results match the snapshot, policies and baseline.")
    return EXIT_MATCH


def run(args: argparse.Namespace) -> int:
    from auditor.cli import verify_attestation

    verify_attestation.check_usage(args)
    return verify(
        args.results,
        args.snapshot,
        policies=args.policies,
        baseline=args.baseline,
        waivers=args.waivers,
        attestation=args,
    )
