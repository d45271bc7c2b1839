"""``results.oscal.json``: the results as an OSCAL 1.1 assessment-results document.

Why: GRC tools read OSCAL, not our results format. The mapping, rendered from the results
document alone (docs/reports.md has the table):

- one ``result`` for the run (``start``: when the snapshot was collected, ``end``: when
  the results were generated), ``reviewed-controls`` with one control selection per
  framework key (``props`` name ``framework``) listing every control the run's policies map;
- one ``observation`` per policy: its status and message, the failing subjects as
  ``subjects`` (title: the subject name), the evidence hash (sha256 of the canonical JSON
  of the policy's evidence and failing findings) as a ``prop``, and ``relevant-evidence``
  pointing at the back-matter resources for the snapshot and the policy file, which carry
  their sha256;
- one ``finding`` per framework control (and per policy without a framework mapping),
  ``satisfied`` only when every policy mapped to it passed or does not apply; an error,
  a failure or a waiver is ``not-satisfied`` (missing data is never a pass); a control
  only manual policies map gets no finding (nobody assessed it), only their observations;
- the tool as the ``assessment-platform`` (a software component named with its version).

UUIDs are derived (uuid5) from the document's integrity hash, so the same document gives
the same bytes. Control IDs are OSCAL tokens: NIST SP 800-53 IDs in the catalogue's form
(``ia-2``, ``ac-2.3``), IDs that are tokens already kept, others prefixed with the
framework key (``cis-m365-v6_1.1.1``); the framework's own ID is kept in a ``label`` prop.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from auditor.report._common import Doc, Result
from auditor.results import canonical_json

OSCAL_VERSION = "1.1.3"
#: namespace of this tool's own props (OSCAL requires one for names it does not define)
NS = "urn:auditor:oscal"
_TOKEN = re.compile(r"^[A-Za-z_][A-Za-z0-9._-]*$")
_NIST = re.compile(r"^([A-Za-z]{2})-(\d+)(?:\((\d+)\))?$")
_SATISFIED = {"pass", "not_applicable"}


def control_token(framework: str, control: str) -> str:
    """An OSCAL token for a framework's control ID (see the module doc)."""
    if framework.startswith("nist-800-53"):
        m = _NIST.match(control)
        if m:
            family, number, enhancement = m.groups()
            return f"{family.lower()}-{number}" + (f".{enhancement}" if enhancement else "")
    if _TOKEN.match(control):
        return control
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"{framework}_{control}")


class _Ids:
    """Deterministic UUIDs for one document."""

    def __init__(self, seed: str) -> None:
        self.ns = uuid.uuid5(uuid.NAMESPACE_URL, f"urn:auditor:results:{seed}")

    def __call__(self, *parts: str) -> str:
        return str(uuid.uuid5(self.ns, "\x1f".join(parts)))


def _prop(name: str, value: object, *, ns: bool = True) -> dict[str, str]:
    out = {"name": name, "value": str(value)}
    if ns:
        out["ns"] = NS
    return out


def _problem_findings(result: Result) -> list[Mapping[str, Any]]:
    return [f for f in result.get("findings") or [] if f.get("status") in {"fail", "error"}]


def evidence_sha256(result: Result) -> str:
    """sha256 of the canonical JSON of a policy's evidence and its failing/erroring findings."""
    body = {"evidence": result.get("evidence"), "findings": _problem_findings(result)}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def _text(value: object, fallback: str) -> str:
    text = str(value or "").strip()
    return text or fallback


def _observation(
    result: Result, ids: _Ids, collected: str, snapshot_res: str, policy_res: str
) -> dict[str, Any]:
    pid = result["policyId"]
    manual = result["status"] == "manual"
    obs: dict[str, Any] = {
        "uuid": ids("observation", pid),
        "title": _text(result.get("title"), pid),
        "description": _text(result.get("message"), f"{pid}: {result['status']}"),
        "props": [
            _prop("policy-id", pid),
            _prop("status", result["status"]),
            _prop("severity", result["severity"]),
            _prop("evidence-sha256", evidence_sha256(result)),
        ],
        "methods": ["EXAMINE"] if manual else ["TEST"],
        "types": ["control-objective"],
        "collected": collected,
        "relevant-evidence": [
            {
                "href": f"#{snapshot_res}",
                "description": "The tenant snapshot the policy was evaluated against.",
            },
            {"href": f"#{policy_res}", "description": f"The policy file {result.get('policyFile') or pid}."},
        ],
    }
    subjects = [
        {
            "subject-uuid": ids("subject", str(f.get("subject"))),
            "type": "inventory-item",
            "title": _text(f.get("subject"), "(unnamed subject)"),
            "props": [_prop("status", f.get("status"))],
        }
        for f in _problem_findings(result)
    ]
    if subjects:
        obs["subjects"] = subjects
    waiver: Mapping[str, Any] = result.get("waiver") or {}
    if waiver:
        obs["remarks"] = f"Waived: {_text(waiver.get('reason'), 'no reason recorded')}"
    return obs


def _controls(results: Iterable[Result]) -> dict[tuple[str, str], list[Result]]:
    """(framework, control) -> the results mapped to it; ("policy", id) for unmapped policies."""
    out: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        fws = r.get("frameworks") or {}
        if not any(fws.values()):
            out.setdefault(("policy", r["policyId"]), []).append(r)
        for fw, controls in sorted(fws.items()):
            for c in controls:
                out.setdefault((fw, str(c)), []).append(r)
    return out


def _finding(
    key: tuple[str, str], mapped: list[Result], ids: _Ids, titles: Mapping[tuple[str, str], str]
) -> dict[str, Any] | None:
    assessed = [r for r in mapped if r["status"] != "manual"]
    if not assessed:
        return None
    fw, control = key
    satisfied = all(r["status"] in _SATISFIED for r in assessed)
    problems = [f"{r['policyId']} {r['status']}" for r in assessed if r["status"] not in _SATISFIED]
    token = control_token(fw, control) if fw != "policy" else control_token("policy", control)
    title = titles.get(key) or ""
    label = f"{control} ({fw})" if fw != "policy" else control
    status: dict[str, Any] = {"state": "satisfied" if satisfied else "not-satisfied"}
    if not satisfied:
        status["reason"] = "fail" if any(r["status"] == "fail" for r in assessed) else "other"
    return {
        "uuid": ids("finding", fw, control),
        "title": f"{label}: {title}" if title else label,
        "description": (
            "Every policy mapped to this control passed or does not apply."
            if satisfied
            else "Not satisfied: " + "; ".join(problems) + "."
        ),
        "props": [_prop("framework", fw), _prop("label", control)],
        "target": {
            "type": "objective-id" if fw == "policy" else "statement-id",
            "target-id": token,
            "status": status,
        },
        "related-observations": [{"observation-uuid": ids("observation", r["policyId"])} for r in mapped],
    }


def _titles(doc: Doc) -> dict[tuple[str, str], str]:
    """Control titles from the frameworks the library ships (empty when a catalogue has none)."""
    from auditor.report._coverage import framework_coverage

    out: dict[tuple[str, str], str] = {}
    for key, cov in framework_coverage(doc).items():
        for cid, control in cov.framework.catalogue.items():
            if control.title:
                out[(key, cid)] = control.title
    return out


def build(doc: Doc) -> dict[str, Any]:
    """The assessment-results document (a JSON-ready dict)."""
    from auditor import __version__

    sealed: Mapping[str, Any] = doc.get("integrity") or {}
    integrity: str | None = sealed.get("value")
    seed = integrity or hashlib.sha256(canonical_json(doc)).hexdigest()
    ids = _Ids(seed)
    snap = doc["snapshot"]
    tenant = snap.get("tenant") or {}
    tenant_name = tenant.get("displayName") or tenant.get("id") or "tenant"
    generated = doc["generatedAt"]
    collected = snap.get("collectedAt") or generated
    tool_version = (doc.get("tool") or {}).get("version") or __version__
    snapshot_res, results_res, plan_res = (
        ids("resource", "snapshot"),
        ids("resource", "results"),
        ids("resource", "plan"),
    )
    policy_res = {r["policyId"]: ids("resource", "policy", r["policyId"]) for r in doc["results"]}
    tool_component = ids("component", "auditor")
    tenant_item = ids("inventory", str(tenant.get("id")))

    controls = _controls(doc["results"])
    by_framework: dict[str, list[str]] = {}
    for fw, control in controls:
        if fw != "policy":
            by_framework.setdefault(fw, []).append(control)
    selections: list[dict[str, Any]] = [
        {
            "description": f"Controls of {fw} that the audited policies map.",
            "props": [_prop("framework", fw)],
            "include-controls": [{"control-id": control_token(fw, c)} for c in sorted(set(cs))],
        }
        for fw, cs in sorted(by_framework.items())
    ] or [{"description": "No framework controls are mapped by the audited policies.", "include-all": {}}]
    titles = _titles(doc)
    findings = [f for key in sorted(controls) if (f := _finding(key, controls[key], ids, titles)) is not None]
    observations = [
        _observation(r, ids, collected, snapshot_res, policy_res[r["policyId"]]) for r in doc["results"]
    ]
    summary = doc["summary"]
    baseline = doc.get("baseline") or {}
    resources: list[dict[str, Any]] = [
        {
            "uuid": plan_res,
            "title": f"Assessment plan: baseline {baseline.get('name') or '(whole policy set)'}, fail-on {summary.get('failOn') or baseline.get('failOn')}",
            "description": "The policies and baseline auditor evaluated; the policy files are listed as resources.",
        },
        {
            "uuid": snapshot_res,
            "title": f"Tenant snapshot of {tenant_name}, collected {collected}",
            "rlinks": [
                {"href": "snapshot.json", "hashes": [{"algorithm": "SHA-256", "value": snap["sha256"]}]}
            ],
        },
    ]
    if integrity:
        resources.append(
            {
                "uuid": results_res,
                "title": "auditor results document (results.json)",
                "description": "The hash is auditor's integrity hash: sha256 of the canonical document without generatedAt.",
                "rlinks": [
                    {"href": "results.json", "hashes": [{"algorithm": "SHA-256", "value": integrity}]}
                ],
            }
        )
    resources.extend(
        {
            "uuid": policy_res[r["policyId"]],
            "title": f"Policy {r['policyId']}",
            "rlinks": [
                {
                    "href": r.get("policyFile") or f"{r['policyId']}.yaml",
                    "hashes": [{"algorithm": "SHA-256", "value": r["policySha256"]}],
                }
            ],
        }
        for r in doc["results"]
    )
    result = {
        "uuid": ids("result"),
        "title": f"auditor assessment of {tenant_name}",
        "description": (
            f"Automated evaluation of {len(doc['results'])} policies against a read-only snapshot of "
            f"Microsoft 365 / Entra ID tenant {tenant.get('id')}. Gate: {summary['gate']}."
        ),
        "start": collected,
        "end": generated,
        "props": [
            _prop("tenant-id", tenant.get("id")),
            _prop("gate", summary["gate"]),
            _prop("snapshot-sha256", snap["sha256"]),
            *([_prop("results-integrity", integrity)] if integrity else []),
        ],
        "local-definitions": {
            "components": [
                {
                    "uuid": tool_component,
                    "type": "software",
                    "title": f"auditor {tool_version}",
                    "description": "Policy-as-code auditor for Microsoft 365 / Entra ID tenants.",
                    "props": [_prop("version", tool_version, ns=False)],
                    "status": {"state": "operational"},
                }
            ],
            "inventory-items": [
                {
                    "uuid": tenant_item,
                    "description": f"Microsoft 365 / Entra ID tenant {tenant_name} ({tenant.get('id')}).",
                    "props": [_prop("tenant-id", tenant.get("id"))],
                }
            ],
            "assessment-assets": {
                "assessment-platforms": [
                    {
                        "uuid": ids("platform"),
                        "title": f"auditor {tool_version}",
                        "uses-components": [{"component-uuid": tool_component}],
                    }
                ]
            },
        },
        "reviewed-controls": {"control-selections": selections},
        "observations": observations,
        "findings": findings,
    }
    return {
        "assessment-results": {
            "uuid": ids("assessment-results"),
            "metadata": {
                "title": f"auditor assessment results: {tenant_name}",
                "last-modified": generated,
                "version": tool_version,
                "oscal-version": OSCAL_VERSION,
            },
            "import-ap": {"href": f"#{plan_res}"},
            "results": [result],
            "back-matter": {"resources": resources},
        }
    }


class OscalFormat:
    """OSCAL assessment-results (JSON), written on request (``--format oscal``)."""

    name = "oscal"
    filename = "results.oscal.json"

    def render(self, doc: Doc) -> bytes:
        return (json.dumps(build(doc), indent=1, ensure_ascii=False) + "\n").encode("utf-8")
