"""Load and bind everything an audit reads: snapshot, policies, baseline, waivers, params.

Shared by ``audit``, ``run`` and ``verify`` so that re-evaluation reads its
inputs exactly as the original audit did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from auditor.baseline import NO_BASELINE, Baseline, Waiver, bind, load_baseline, load_waivers_file
from auditor.errors import InputError
from auditor.policy import Policy, load_library
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


def load_demo_snapshot() -> Snapshot:
    raw = resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes()
    return load_snapshot_bytes(raw, "demo-snapshot.json (embedded)")


def demo_waivers_path() -> str:
    return str(resources.files("auditor.data").joinpath("demo-waivers.yaml"))


def parse_params(pairs: Sequence[str] | None) -> dict[str, Any]:
    """``NAME=VALUE`` pairs; VALUE is read as YAML (``365``, ``[a, b]``, ``true``) or kept as text."""
    out: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise InputError(f"expected NAME=VALUE, got {pair!r}", source="--param")
        try:
            value = yaml.safe_load(text) if text.strip() else ""
        except yaml.YAMLError:
            value = text
        out[name.strip()] = value
    return out


def load_inputs(
    *,
    snapshot: str | Snapshot,
    policy_paths: Sequence[str] | None,
    baseline: str | None,
    waivers: str | None,
    params: dict[str, Any],
    fail_on: str | None,
    evidence: str = "needed",
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
    if evidence != "needed":
        invocation["evidence"] = evidence
    return AuditInputs(snap, policies, selected, base, (*base.waivers, *extra), effective, gate, invocation)
