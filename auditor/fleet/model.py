"""FLEET.yaml: load, check against its JSON Schema (errors name the file and line), resolve.

Why a schema plus positions: a fleet file is edited by hand for dozens of tenants, and
``tenants/37/auth: 'workload'`` is useless without the line it sits on. Credentials never
live in this file: a tenant names at most the *prefix* of the environment variables that
hold its credentials (``credentialsEnv``).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from auditor.errors import InputError

#: Graph roots of the clouds a tenant may name (the collector records the same names)
CLOUD_GRAPH_URLS = {
    "global": "https://graph.microsoft.com",
    "usgov": "https://graph.microsoft.us",
    "usgov-dod": "https://dod-graph.microsoft.us",
    "china": "https://microsoftgraph.chinacloudapi.cn",
}


@dataclass(frozen=True)
class TenantSpec:
    """One tenant of the fleet, with the defaults already applied.

    Either ``snapshot`` (audit that file, no collection) or ``auth`` (collect first) is set.
    """

    id: str
    name: str
    snapshot: str | None = None
    auth: str | None = None
    cloud: str = "global"
    graph_url: str | None = None
    sources: tuple[str, ...] | None = None
    credentials_env: str | None = None
    baseline: str | None = None
    fail_on: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    tags: tuple[str, ...] = ()
    users: int | None = None
    attest: dict[str, Any] | None = None

    def audit_key(self, snapshot_sha256: str) -> str:
        """sha256 over what decides this tenant's results: the snapshot, the baseline (its file's
        bytes when it is a file), params, failOn and the auditor version. Equal keys, equal results."""
        from auditor import __version__

        baseline_sha = None
        if self.baseline and Path(self.baseline).is_file():
            baseline_sha = hashlib.sha256(Path(self.baseline).read_bytes()).hexdigest()
        body = {
            "snapshot": snapshot_sha256,
            "baseline": self.baseline,
            "baselineSha256": baseline_sha,
            "params": self.params,
            "failOn": self.fail_on,
            "version": __version__,
        }
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def environment(self, env: dict[str, str] | None = None) -> dict[str, str]:
        """The environment the tenant's credential is built from.

        With ``credentialsEnv: ACME``, ``ACME_AZURE_CLIENT_ID`` becomes ``AZURE_CLIENT_ID`` (and so
        on for every variable with that prefix) over the process environment; ``AZURE_TENANT_ID``
        is the tenant's id unless the prefix sets it (a multi-tenant app signs in to each tenant).
        """
        base = dict(os.environ if env is None else env)
        out = dict(base)
        out["AZURE_TENANT_ID"] = self.id
        if self.credentials_env:
            prefix = self.credentials_env + "_"
            out.update({k[len(prefix) :]: v for k, v in base.items() if k.startswith(prefix)})
        return out


@dataclass(frozen=True)
class FleetSpec:
    """The parsed FLEET.yaml: a name, and the tenants in file order."""

    name: str
    tenants: tuple[TenantSpec, ...]
    source: str = "FLEET.yaml"


def _schema() -> dict[str, Any]:
    text = resources.files("auditor.fleet").joinpath("fleet-spec.schema.json").read_text("utf-8")
    return dict(json.loads(text))


def load_fleet(path: str | Path) -> FleetSpec:
    """Read and check FLEET.yaml; any problem is an :class:`InputError` naming file and line."""
    from auditor.policy.yamlpos import read_yaml

    source = str(path)
    doc, _raw = read_yaml(source)
    value = doc.value
    if not isinstance(value, dict):
        raise InputError("a fleet file is a mapping with 'fleet' and 'tenants'", source=source, line=1)
    import jsonschema

    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        first = errors[0]
        where = tuple(first.absolute_path)
        if first.validator == "additionalProperties" and isinstance(first.instance, dict):
            known = first.schema.get("properties", {})
            extra = sorted(k for k in first.instance if k not in known)
            where = (*where, extra[0]) if extra else where  # point at the unexpected key's line
        pos = doc.position(where)
        shown = "/".join(str(p) for p in where) or "(document)"
        raise InputError(
            f"invalid fleet file at {shown}: {first.message}",
            source=source,
            line=pos.line if pos else None,
            column=pos.column if pos else None,
        )
    base_dir = Path(source).resolve().parent
    defaults = dict(value.get("defaults") or {})
    tenants: list[TenantSpec] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(value["tenants"]):
        pos = doc.position(("tenants", index))
        line = pos.line if pos else None
        key = raw["id"].lower()
        if key in seen:
            raise InputError(
                f"tenant {raw['id']} is listed twice (first as tenants/{seen[key]})", source=source, line=line
            )
        seen[key] = index
        tenants.append(_tenant(raw, defaults, base_dir, source, line))
    return FleetSpec(name=value["fleet"], tenants=tuple(tenants), source=source)


def _tenant(
    raw: dict[str, Any], defaults: dict[str, Any], base: Path, source: str, line: int | None
) -> TenantSpec:
    merged = {**defaults, **raw}
    merged["params"] = {**(defaults.get("params") or {}), **(raw.get("params") or {})}
    snapshot = raw.get("snapshot")
    if snapshot and "auth" in raw:
        raise InputError(
            f"tenant {raw['id']}: give either 'snapshot' or 'auth', not both", source=source, line=line
        )
    if not snapshot and not merged.get("auth"):
        raise InputError(
            f"tenant {raw['id']}: needs 'snapshot' (a file to audit) or 'auth' (how to collect)",
            source=source,
            line=line,
        )
    baseline = merged.get("baseline")
    if baseline and ("/" in baseline or baseline.endswith((".yaml", ".yml"))):
        baseline = str((base / baseline).resolve())  # a file, relative to FLEET.yaml
    cloud = merged.get("cloud", "global")
    return TenantSpec(
        id=raw["id"],
        name=raw.get("name") or raw["id"],
        snapshot=str((base / snapshot).resolve()) if snapshot else None,
        auth=None if snapshot else merged.get("auth"),
        cloud=cloud,
        graph_url=merged.get("graphUrl") or (None if cloud == "global" else CLOUD_GRAPH_URLS[cloud]),
        sources=tuple(merged["sources"]) if merged.get("sources") else None,
        credentials_env=merged.get("credentialsEnv"),
        baseline=baseline,
        fail_on=merged.get("failOn"),
        params=merged["params"],
        tags=tuple(raw.get("tags") or ()),
        users=raw.get("users"),
        attest=merged.get("attest"),
    )
