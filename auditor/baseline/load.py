"""Load baselines and waiver files, and bind them to a set of loaded policies.

Binding is where typos are caught: a waiver or param that names a policy or
param that does not exist is a load error, because a silent no-op would widen
an exception or leave a control at its default without anyone noticing.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.baseline.model import Baseline, Waiver
from auditor.builtin import builtin_dir
from auditor.errors import AuditWarning, InputError, InputErrors
from auditor.policy.load import schema_errors
from auditor.policy.model import Policy

if TYPE_CHECKING:
    from auditor.policy.yamlpos import YamlDocument
from auditor.suggest import did_you_mean

#: params every built-in policy uses with these names where it applies (docs/formats.md, baselines)
STANDARD_PARAMS = ("breakGlassAccounts", "breakGlassGroups", "auditRetentionDays")


@lru_cache(maxsize=2)
def _schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("auditor.baseline").joinpath(name).read_text("utf-8"))  # type: ignore[no-any-return]


def _dates_to_text(value: Any) -> Any:
    """YAML turns ``2027-03-31`` into a date; the schema checks text."""
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def parse_expiry(value: Any) -> dt.date:
    """A waiver's ``expires``: a whole date (``2027-03-31``) or an ISO date-time, nothing trailing.

    Reading only the first ten characters would take ``2027-03-31garbage`` for a date.
    """
    text = str(value).strip()
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text).date()


def _parse_waivers(
    doc: YamlDocument, items: list[dict[str, Any]], path_prefix: tuple[str | int, ...]
) -> list[Waiver]:
    out: list[Waiver] = []
    errors: list[InputError] = []
    for i, item in enumerate(items):
        pos = doc.position((*path_prefix, i))
        try:
            expires = parse_expiry(item["expires"])
        except ValueError:
            errors.append(
                doc.error(
                    f"waiver for {item['policy']}: expires must be a date (YYYY-MM-DD)",
                    (*path_prefix, i, "expires"),
                )
            )
            continue
        subjects = item.get("subjects")
        out.append(
            Waiver(
                policy=item["policy"],
                reason=item["reason"],
                owner=item["owner"],
                expires=expires,
                subjects=tuple(subjects) if subjects is not None else None,
                source=f"{doc.source}:{pos.line}" if pos else doc.source,
            )
        )
    if errors:
        raise InputErrors(errors)
    return out


def _read(path: str, schema: str, what: str) -> tuple[YamlDocument, bytes]:
    from auditor.policy.yamlpos import read_yaml  # with pyyaml: only when a file is read

    doc, raw = read_yaml(path)
    if isinstance(doc.value, list) and what == "waivers file":
        doc = replace(
            doc,
            value={"waivers": doc.value},
            positions={("waivers", *k): v for k, v in doc.positions.items()},
        )
    if not isinstance(doc.value, dict):
        raise InputError(f"a {what} must be a YAML mapping", source=path, line=1)
    doc = replace(doc, value=_dates_to_text(doc.value))
    errors = schema_errors(doc, _schema(schema), what)
    if errors:
        raise InputErrors(errors)
    return doc, raw


def load_baseline_file(path: str | Path) -> Baseline:
    doc, raw = _read(str(path), "schema.json", "baseline")
    data = doc.value
    selection = data.get("policies") or {}
    return Baseline(
        name=data["name"],
        title=data.get("title", ""),
        description=data.get("description", ""),
        include=tuple(selection.get("include", ["*"])),
        exclude=tuple(selection.get("exclude", [])),
        params=dict(data.get("params") or {}),
        fail_on=data.get("failOn"),
        waivers=tuple(_parse_waivers(doc, data.get("waivers") or [], ("waivers",))),
        path=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def load_waivers_file(path: str | Path) -> tuple[tuple[Waiver, ...], str]:
    """Waivers from a separate file; returns them and the file's sha256."""
    doc, raw = _read(str(path), "waivers_schema.json", "waivers file")
    return tuple(_parse_waivers(doc, doc.value["waivers"], ("waivers",))), hashlib.sha256(raw).hexdigest()


#: built-in baseline names that no longer ship, and the baseline that runs in their place
RETIRED_BASELINES = {"cis-m365-v5-l1": "cis-m365-v7-l1", "cis-m365-v5-l2": "cis-m365-v7-l2"}


def builtin_baselines() -> dict[str, Path]:
    """Built-in baselines by name (file stem)."""
    root = builtin_dir("baselines")
    if not root.is_dir():
        return {}
    return {p.stem: p for p in sorted(root.glob("*.y*ml"))}


def load_baseline(name_or_path: str) -> Baseline:
    """A built-in baseline by name, or a baseline file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.is_file() or "/" in name_or_path:
        return load_baseline_file(candidate)
    known = builtin_baselines()
    if name_or_path in RETIRED_BASELINES and name_or_path not in known:
        replacement = RETIRED_BASELINES[name_or_path]
        warnings.warn(
            f"baseline {name_or_path!r} is retired: its control list mixed CIS v5 and v6 IDs; "
            f"running {replacement!r} (CIS Microsoft 365 Foundations Benchmark v7.0.0) instead. "
            f"Pass --baseline {replacement} (or the cis-m365-v6-* baselines) to silence this.",
            AuditWarning,
            stacklevel=2,
        )
        name_or_path = replacement
    if name_or_path not in known:
        raise InputError(
            f"unknown baseline {name_or_path!r}{did_you_mean(name_or_path, known)} "
            f"(built-in baselines: {', '.join(known) or 'none'}; or give a baseline file)",
            source="--baseline",
        )
    return load_baseline_file(known[name_or_path])


def bind(
    baseline: Baseline,
    policies: Sequence[Policy],
    extra_waivers: Iterable[Waiver] = (),
    cli_params: dict[str, Any] | None = None,
) -> None:
    """Check that every waiver and param names something that exists; raise InputErrors otherwise."""
    by_id = {p.id: p for p in policies}
    declared: dict[str, Any] = {}
    for policy in policies:
        for name, default in policy.params.items():
            declared.setdefault(name, default)
    where = baseline.path or "baseline"
    errors = [
        InputError(f"policies: no policy has the id {pattern!r}{did_you_mean(pattern, by_id)}", source=where)
        for pattern in (*baseline.include, *baseline.exclude)
        if not any(ch in pattern for ch in "*?[") and pattern not in by_id
    ]
    for name, value in baseline.params.items():
        problem = param_problem(name, value, declared)
        if problem:
            errors.append(InputError(f"params: {problem}", source=where))
    for name, value in (cli_params or {}).items():
        problem = param_problem(name, value, declared)
        if problem:
            errors.append(InputError(problem, source="--param"))
    for waiver in (*baseline.waivers, *extra_waivers):
        target = by_id.get(waiver.policy)
        if target is None:
            errors.append(
                InputError(
                    f"waiver names unknown policy {waiver.policy!r}{did_you_mean(waiver.policy, by_id)}",
                    source=waiver.source,
                )
            )
        elif waiver.subjects is not None and not target.per_subject:
            errors.append(
                InputError(
                    f"waiver lists subjects, but {waiver.policy} is not a per-subject policy",
                    source=waiver.source,
                )
            )
    if errors:
        raise InputErrors(errors)


def selection_warnings(baseline: Baseline, policies: Sequence[Policy]) -> list[str]:
    """Globs that match no policy: not an error (libraries change), but never silent."""
    ids = [p.id for p in policies]
    where = baseline.path or "baseline"
    return [
        f"{where}: policies.{key} pattern {pattern!r} matches no policy"
        for key, patterns in (("include", baseline.include), ("exclude", baseline.exclude))
        for pattern in patterns
        if any(ch in pattern for ch in "*?[") and not any(fnmatch.fnmatchcase(i, pattern) for i in ids)
    ]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "map"
    return "null"


def param_problem(name: str, value: Any, declared: dict[str, Any]) -> str | None:
    """Why ``name=value`` is not a valid override, or None."""
    if name not in declared:
        if name in STANDARD_PARAMS:
            return None
        known = ", ".join(sorted(declared)) or "none"
        hint = did_you_mean(name, [*declared, *STANDARD_PARAMS])
        return f"unknown param {name!r}{hint} (params of the selected policies: {known})"
    default = declared[name]
    if default is not None and _kind(default) != _kind(value):
        return f"param {name!r} expects a {_kind(default)} (default {json.dumps(default)}), got {json.dumps(value, default=str)}"
    return None
