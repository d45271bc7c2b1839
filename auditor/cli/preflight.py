"""``auditor whatif SNAPSHOT --wave FILE.csv | --change PATH... | --remove ID...``: the rollout
pre-flight. Reads the inputs (snapshot, baseline, wave CSV, changed policies), extracts the
baseline's conditional access requirements and hands them to ``auditor.coverage.preflight``;
the judging and the reports live there."""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from auditor import api, coverage, strictjson
from auditor.cli.inputs import parse_params
from auditor.coverage import capolicy as cap
from auditor.coverage import preflight as pf
from auditor.coverage import preflight_report as report
from auditor.coverage.directory import Directory
from auditor.coverage.future import Groups, read_groups, role_ids
from auditor.coverage.model import build_tenant
from auditor.errors import InputError
from auditor.report.safetext import guard_lines
from auditor.snapshot import Snapshot
from auditor.vocab import SEVERITIES

FORMATS = ("text", "json", "markdown")
#: the embedded examples ``--demo`` uses when --wave / --change are given without a file
DEMO_WAVE = "demo-wave.csv"
DEMO_CHANGE = "demo-change.json"
#: wave columns that are assignments, not user properties
ASSIGNMENT_COLUMNS = ("roles", "groups")


def requirement_checks(inputs: api.AuditInputs) -> tuple[list[pf.Check], list[dict[str, str]]]:
    """The conditional access requirements of the selected policies: each policy that calls
    ``caCoverage`` is evaluated with the call recorded instead of judged, its params bound as
    the audit binds them. A policy that cannot be evaluated (its required data is missing) is
    listed with the reason: the pre-flight is then undecidable for it (exit 3), never a pass."""
    from auditor.engine import context_from_snapshot, evaluate_policy

    ctx = context_from_snapshot(inputs.snapshot)
    checks: list[pf.Check] = []
    skipped: list[dict[str, str]] = []
    for policy in inputs.selected:
        if not policy.path or "caCoverage" not in Path(policy.path).read_text(encoding="utf-8"):
            continue
        with coverage.recording() as found:
            result = evaluate_policy(policy, ctx, inputs.params)
        severity = str(getattr(policy.severity, "value", policy.severity))
        if not found and result.status == "error":
            skipped.append({"policy": policy.id, "severity": severity, "why": result.message})
        checks += [pf.Check(policy.id, policy.title, severity, req) for req in dict.fromkeys(found)]
    return checks, skipped


def read_wave(text: str, source: str, groups: Groups, roles: Mapping[str, str]) -> list[pf.WaveUser]:
    """One future user per row; a malformed file is an error naming the file and line."""
    reader = csv.reader(io.StringIO(text), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(
            "the wave file is empty (expected a header row of user properties)", source=source
        ) from None
    except csv.Error as err:
        raise InputError(f"line 1: {err}", source=source) from None
    header = [h.strip() for h in header]
    lowered = [h.lower() for h in header]
    if not any(header) or "" in header:
        raise InputError("line 1: every column needs a name (an Entra user property)", source=source)
    dupes = sorted({h for h in lowered if lowered.count(h) > 1})
    if dupes:
        raise InputError(f"line 1: column(s) {', '.join(dupes)} appear twice", source=source)
    rows: list[pf.WaveUser] = []
    try:
        for fields in reader:
            line = reader.line_num
            if not fields or all(not f.strip() for f in fields):
                continue
            if len(fields) != len(header):
                raise InputError(
                    f"line {line}: {len(fields)} fields, the header has {len(header)}", source=source
                )
            props: dict[str, Any] = {}
            assigned: dict[str, tuple[str, ...]] = {"roles": (), "groups": ()}
            for name, low, value in zip(header, lowered, fields, strict=True):
                value = value.strip()
                if low in ASSIGNMENT_COLUMNS:
                    assigned[low] = tuple(v.strip() for v in value.split(";") if v.strip())
                elif value:
                    props[name] = value
            group_ids = []
            for g in assigned["groups"]:
                gid = groups.resolve(g)
                if gid is None:
                    raise InputError(f"line {line}: no group {g!r} in the snapshot", source=source)
                group_ids.append(gid)
            role_list = []
            for r in assigned["roles"]:
                rid = roles.get(r) or roles.get(r.lower())
                if rid is None:
                    raise InputError(f"line {line}: unknown directory role {r!r}", source=source)
                role_list.append(rid)
            name = str(props.get("userPrincipalName") or props.get("displayName") or f"row {line}")
            rows.append(pf.WaveUser(name, props, tuple(sorted(group_ids)), tuple(sorted(role_list))))
    except csv.Error as err:
        raise InputError(f"line {reader.line_num}: {err}", source=source) from None
    if not rows:
        raise InputError("the wave file has a header but no rows", source=source)
    return rows


def read_change(text: str, source: str) -> list[dict[str, Any]]:
    """Conditional access policies as Graph JSON: one object, a list, or ``{"value": [...]}``."""
    doc = strictjson.loads(text, source)
    items = doc.get("value") if isinstance(doc, dict) and "value" in doc else doc
    items = items if isinstance(items, list) else [items]
    out = []
    for i, item in enumerate(items):
        where = f"policy {i + 1}" if len(items) > 1 else "the policy"
        if not isinstance(item, dict) or not isinstance(item.get("conditions"), dict):
            raise InputError(
                f"{where} is not a conditional access policy (no 'conditions' object)", source=source
            )
        if item.get("state") not in ("enabled", "disabled", "enabledForReportingButNotEnforced"):
            raise InputError(
                f"{where}: 'state' must be enabled, disabled or enabledForReportingButNotEnforced",
                source=source,
            )
        try:
            cap.read_policy(item, {})
        except (TypeError, ValueError, KeyError, AttributeError) as err:
            raise InputError(f"{where} cannot be read: {err}", source=source) from None
        out.append(item)
    return out


def _demo_file(name: str) -> tuple[str, str]:
    return resources.files("auditor.data").joinpath(name).read_text(encoding="utf-8"), f"{name} (embedded)"


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise InputError(f"cannot read: {err}", source=path) from None


class _Names(dict[str, str]):
    """user id -> principal name, looked up when a finding names the user."""

    def __init__(self, directory: Directory) -> None:
        super().__init__()
        self.directory = directory

    def __missing__(self, uid: str) -> str:
        user = self.directory.user_by_id.get(uid) or {}
        return str(user.get("userPrincipalName") or uid)

    def get(self, key: str, default: Any = None) -> Any:
        return self[key]


def run_preflight(args: argparse.Namespace, snapshot: Snapshot) -> int:
    fmt = args.format
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}", source="--format")
    for name in ("conditionalAccessPolicies", "users"):
        status = snapshot.source_status(name)
        if not status.ok:
            raise InputError(f"{name} is not in the snapshot ({status.describe()})", source=snapshot.source)
    inputs = api.prepare(
        snapshot, baseline=args.baseline, params=parse_params(args.param), fail_on=args.fail_on
    )
    data = snapshot.data
    tenant = coverage.tenant_for(data, snapshot.source_status)
    groups = read_groups(data)
    result = pf.Result([])
    context: dict[str, Any] = {
        "snapshot": snapshot.source,
        "tenant": snapshot.tenant.get("id") if isinstance(snapshot.tenant, dict) else None,
        "collectedAt": snapshot.collected_at,
        "baseline": args.baseline or "(none: every policy)",
        "failOn": inputs.fail_on,
    }
    changes: list[dict[str, Any]] = []
    change_files: list[str] = []
    if args.change is not None:
        paths = args.change or ([] if args.remove else [None])
        for path in paths:
            if path is None:
                if not args.demo:
                    raise InputError("--change needs one or more policy JSON files", source="--change")
                text, source = _demo_file(DEMO_CHANGE)
            else:
                text, source = _read(path), path
            changes += read_change(text, source)
            change_files.append(source)
    rows = None
    if args.wave is not None:
        if args.wave == "":
            if not args.demo:
                raise InputError("--wave needs a FILE.csv", source="--wave")
            text, source = _demo_file(DEMO_WAVE)
        else:
            text, source = _read(args.wave), args.wave
        rows = read_wave(text, source, groups, role_ids(data))
        context["wave"] = {"file": source, "rows": len(rows)}
    after = tenant
    if changes or args.remove:
        try:
            changed = pf.changed_policies(data, changes, args.remove or [])
        except LookupError as err:
            raise InputError(str(err.args[0]), source="--remove") from None
        located = bool(snapshot.source_status("namedLocations").ok) and "namedLocations" in data
        after = pf.after_tenant(tenant, build_tenant(tenant.directory, changed, located))
        context["change"] = {"files": change_files, "removed": list(args.remove or [])}
    checks, skipped = requirement_checks(inputs)
    if not checks:
        raise InputError(
            "the selected policies state no conditional access requirement (caCoverage)", source="--baseline"
        )
    result.checks = checks
    context["skipped"] = skipped
    attributes = inputs.params.get("futureUserAttributes") or {}
    if not isinstance(attributes, dict):
        raise InputError("futureUserAttributes must be a map of user properties", source="--param")
    future_before = pf.future_tenant(tenant)
    future_after = pf.future_tenant(after) if after is not tenant else future_before
    if rows is not None:
        pf.judge_wave(future_after, groups, checks, rows, result)
    if after is not tenant:
        pf.judge_change(tenant, after, checks, _Names(tenant.directory), result)
        pf.future_change(
            pf.judge_hypothetical(future_before, groups, checks, attributes),
            pf.judge_hypothetical(future_after, groups, checks, attributes),
            checks,
            result,
        )
    elif args.wave is None:
        pf.future_change(
            pf.judge_hypothetical(future_before, groups, checks, attributes), None, checks, result
        )
    severities = [s.value for s in SEVERITIES]
    code = pf.gate(result, inputs.fail_on, severities)
    if code == 0 and any(
        severities.index(s["severity"]) <= severities.index(inputs.fail_on) for s in skipped
    ):
        code = 3
    doc = report.document(result, context, code)
    out = {"text": report.text, "markdown": report.markdown}.get(fmt)
    # through the shared last step: no control or bidi character, no workflow command at a line start
    sys.stdout.write(guard_lines(out(doc)) if out else strictjson_dumps(doc))
    sys.stdout.flush()
    return code


def strictjson_dumps(doc: Mapping[str, Any]) -> str:
    import json

    return json.dumps(doc, indent=2, ensure_ascii=True) + "\n"


def preflight_requested(args: argparse.Namespace) -> bool:
    return args.wave is not None or args.change is not None or bool(args.remove)


def check_args(args: argparse.Namespace, argv_user: str | None) -> None:
    if argv_user and preflight_requested(args):
        raise InputError(
            "--user asks about one user; --wave/--change/--remove run the pre-flight: give one",
            source="whatif",
        )
    if not argv_user and not preflight_requested(args):
        raise InputError(
            "give --user UPN, or --wave FILE.csv / --change PATH... / --remove ID...", source="whatif"
        )


__all__: Sequence[str] = ["check_args", "preflight_requested", "run_preflight"]
