"""Load and bind everything an audit reads: snapshot, policies, baseline, waivers, params.

Shared by ``audit``, ``run`` and ``verify`` so that re-evaluation reads its
inputs exactly as the original audit did.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from auditor.baseline import (
    NO_BASELINE,
    Baseline,
    Waiver,
    bind,
    load_baseline,
    load_waivers_file,
    selection_warnings,
)
from auditor.errors import InputError
from auditor.policy import Policy, load_library
from auditor.policy.yamlpos import load_yaml
from auditor.snapshot import Snapshot, load_snapshot, load_snapshot_bytes

DEMO_SNAPSHOT = "demo"


@dataclass(frozen=True)
class AuditInputs:
    snapshot: Snapshot
    policies: tuple[Policy, ...]
    selected: tuple[Policy, ...]
    baseline: Baseline
    waivers: tuple[Waiver, ...]
    params: dict[str, Any]
    fail_on: str
    invocation: dict[str, Any]


def warn(text: str) -> None:
    """A warning on stderr: something the user should know that changes no result."""
    from auditor.report._common import printable

    print(f"auditor: warning: {printable(text)}", file=sys.stderr)


def load_demo_snapshot() -> Snapshot:
    raw = resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes()
    return load_snapshot_bytes(raw, "demo-snapshot.json (embedded)")


def demo_waivers_path() -> str:
    return str(resources.files("auditor.data").joinpath("demo-waivers.yaml"))


def parse_param_value(name: str, text: str) -> Any:
    """One ``--param`` value: YAML under the same budgets as a file; text that is not YAML stays text."""
    if not text.strip():
        return ""
    try:
        return load_yaml(text, f"--param {name}").value
    except InputError as exc:
        if exc.detail.startswith("invalid YAML:"):
            return text
        raise


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; VALUE is read as YAML (``365``, ``[a, b]``, ``true``) or kept as text."""
    out: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"expected NAME=VALUE, got {pair!r}", source="--param")
        out[name.strip()] = parse_param_value(name.strip(), text)
    return out


def load_inputs(
    *,
    snapshot: str | Snapshot,
    policy_paths: Sequence[str] | None,
    baseline: str | None,
    waivers: str | None,
    params: dict[str, Any],
    fail_on: str | None,
) -> AuditInputs:
    """Load and cross-check all inputs; any problem is an InputError (exit 2)."""
    snap = (
        snapshot
        if isinstance(snapshot, Snapshot)
        else (load_demo_snapshot() if snapshot == DEMO_SNAPSHOT else load_snapshot(snapshot))
    )
    policies = load_library(policy_paths)
    base = load_baseline(baseline) if baseline else NO_BASELINE
    extra: tuple[Waiver, ...] = ()
    waivers_sha = None
    if waivers:
        extra, waivers_sha = load_waivers_file(waivers)
    bind(base, policies, extra, params)
    for text in selection_warnings(base, policies):
        warn(text)
    selected = tuple(p for p in policies if base.selects(p.id))
    if not selected:
        raise InputError(
            f"baseline {base.name} selects none of the {len(policies)} policies",
            source=base.path or "--baseline",
        )
    effective = {**base.params, **params}
    gate = fail_on or base.fail_on or "high"
    invocation = {
        "policies": [str(p) for p in policy_paths] if policy_paths else None,
        "baseline": baseline,
        "waivers": waivers,
        "waiversSha256": waivers_sha,
        "params": params,
        "failOn": fail_on,
    }
    return AuditInputs(snap, policies, selected, base, (*base.waivers, *extra), effective, gate, invocation)
