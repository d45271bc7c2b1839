"""The audit as a library call: load a snapshot, choose policies and a baseline, evaluate, render.

This is what ``auditor audit``, ``auditor run`` and ``auditor verify`` do, without the
terminal, exit codes or report files, so that a notebook, a service or another tool can
run an audit::

    from auditor import api

    result = api.audit("snapshot.json", baseline="rollout-gate")
    print(result.gate, result.summary["fail"])          # "failed", 3
    html = result.render("html")                        # bytes, as report.html
    result.document                                     # the sealed results document

The steps are also available one by one: :func:`load_snapshot` (a path, a parsed
dict, or :func:`demo_snapshot`), :func:`prepare` (policies, baseline, waivers,
params and the gate bound and cross-checked), :func:`evaluate` (the unsealed results
document) and :func:`render`. Every problem with an input is an
:class:`auditor.errors.InputError` naming the file and place; nothing here prints,
exits or writes files; what the caller should know but that changes no result (a
baseline glob that matches no policy, a subject waiver naming no subject) is issued as
an :class:`auditor.errors.AuditWarning` through :mod:`warnings`.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from auditor.baseline import (
    NO_BASELINE,
    Baseline,
    Waiver,
    bind,
    load_baseline,
    load_waivers_file,
    selection_warnings,
)
from auditor.errors import AuditWarning, InputError
from auditor.gcpause import gc_paused
from auditor.limits import is_time_budget
from auditor.policy import Policy, load_library
from auditor.results import gate_exit_code, seal
from auditor.results.types import Gate, ResultEntry, ResultsDocument, Summary
from auditor.snapshot import Snapshot, load_snapshot_bytes, validate_document
from auditor.snapshot import load_snapshot as _load_snapshot_file
from auditor.vocab import SEVERITIES, counted

if TYPE_CHECKING:
    from auditor.engine import Context, PolicyResult

#: the default time one policy may take before it is reported as ``error``
DEFAULT_POLICY_TIMEOUT = 60.0
#: what ``fail_on`` defaults to when neither the caller nor the baseline chooses
DEFAULT_FAIL_ON = "high"
#: what findings keep: ``needed`` (the fields each policy reads, failing subjects) or ``all``
EVIDENCE_MODES = ("needed", "all")

#: a snapshot as accepted by :func:`load_snapshot`: a file path, a parsed document, or a loaded one
SnapshotSource = str | Path | Mapping[str, Any] | Snapshot
#: wraps the policy sequence while it is evaluated (the CLI passes a progress bar)
ProgressHook = Callable[[Sequence[Policy]], Iterable[Policy]]


def demo_snapshot() -> Snapshot:
    """The embedded demo tenant (Contoso Pharma, fictitious), as ``auditor audit --demo`` reads it."""
    raw = resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes()
    return load_snapshot_bytes(raw, "demo-snapshot.json (embedded)")


def demo_waivers_path() -> str:
    """The waivers file that goes with :func:`demo_snapshot`."""
    return str(resources.files("auditor.data").joinpath("demo-waivers.yaml"))


def load_snapshot(source: SnapshotSource, *, name: str = "snapshot (in memory)") -> Snapshot:
    """A validated snapshot from a file (``.json`` or ``.json.gz``), a parsed document or a Snapshot.

    A document given as a dict is hashed over its canonical JSON (sorted keys, no
    whitespace), since it has no file bytes; ``name`` is the source named in errors.
    """
    if isinstance(source, Snapshot):
        return source
    if isinstance(source, str | Path):
        return _load_snapshot_file(source)
    doc = dict(source)
    validate_document(doc, name)
    canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return Snapshot(source=name, sha256=hashlib.sha256(canonical.encode("utf-8")).hexdigest(), document=doc)


@dataclass(frozen=True)
class AuditInputs:
    """Everything an evaluation reads, loaded and cross-checked by :func:`prepare`.

    ``policies`` is the whole loaded library, ``selected`` the part the baseline
    selects; ``params`` are the effective params (baseline's, then the caller's);
    ``invocation`` records what the caller chose, for the results document, so that
    ``auditor verify`` can re-run the same evaluation.
    """

    snapshot: Snapshot
    policies: tuple[Policy, ...]
    selected: tuple[Policy, ...]
    baseline: Baseline
    waivers: tuple[Waiver, ...]
    params: dict[str, Any]
    fail_on: str
    invocation: dict[str, Any]


def prepare(
    snapshot: SnapshotSource,
    *,
    policies: Sequence[str | Path] | None = None,
    baseline: str | None = None,
    waivers: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    fail_on: str | None = None,
    evidence: str = "needed",
) -> AuditInputs:
    """Load and bind every input of an audit.

    ``policies``: policy files or folders (default: the built-in library). ``baseline``:
    a built-in baseline name or a baseline file (default: every policy, no waivers).
    ``waivers``: an extra waivers file. ``params``: overrides of policy params.
    ``fail_on``: the lowest severity that fails the gate (default: the baseline's
    ``failOn``, else ``high``). ``evidence``: ``needed`` (failing and erroring subjects keep
    the fields their policy reads) or ``all`` (every subject, every field). Any problem is an
    :class:`~auditor.errors.InputError`.
    """
    if evidence not in EVIDENCE_MODES:
        raise InputError(
            f"unknown evidence mode {evidence!r}; choose from {', '.join(EVIDENCE_MODES)}", source="evidence"
        )
    if fail_on is not None and fail_on not in SEVERITIES:
        raise InputError(
            f"unknown severity {fail_on!r}; choose from {', '.join(map(str, SEVERITIES))}", source="failOn"
        )
    snap = load_snapshot(snapshot)
    policy_paths = [str(p) for p in policies] if policies else None
    waivers_path = str(waivers) if waivers else None
    given = dict(params or {})
    library = load_library(policy_paths)
    base = load_baseline(baseline) if baseline else NO_BASELINE
    extra: tuple[Waiver, ...] = ()
    waivers_sha = None
    if waivers_path:
        extra, waivers_sha = load_waivers_file(waivers_path)
    bind(base, library, extra, given)
    for text in selection_warnings(base, library):
        warnings.warn(text, AuditWarning, stacklevel=2)
    selected = tuple(p for p in library if base.selects(p.id))
    if not selected:
        raise InputError(
            f"baseline {base.name} selects none of the {counted(len(library), 'policy')}",
            source=base.path or "--baseline",
        )
    invocation = {
        "policies": policy_paths,
        "baseline": baseline,
        "waivers": waivers_path,
        "waiversSha256": waivers_sha,
        "params": given,
        "failOn": fail_on,
    }
    if evidence != "needed":
        invocation["evidence"] = evidence
    return AuditInputs(
        snapshot=snap,
        policies=library,
        selected=selected,
        baseline=base,
        waivers=(*base.waivers, *extra),
        params={**base.params, **given},
        fail_on=fail_on or base.fail_on or DEFAULT_FAIL_ON,
        invocation=invocation,
    )


def evaluate(
    inputs: AuditInputs,
    *,
    policy_timeout: float = DEFAULT_POLICY_TIMEOUT,
    progress: ProgressHook | None = None,
) -> ResultsDocument:
    """Evaluate the selected policies into the unsealed results document (see :func:`seal`)."""
    from auditor.engine import context_from_snapshot
    from auditor.results.build import build_document

    if not is_time_budget(policy_timeout):
        raise InputError("must be a positive, finite number of seconds", source="policy_timeout")
    chosen: Iterable[Policy] = progress(inputs.selected) if progress else inputs.selected
    evidence = inputs.invocation.get("evidence", "needed")
    # one evaluation context per audit: budgets, join indexes, shared results and the models
    # domain libraries build live in it, and closing it lets go of the snapshot's lists
    with context_from_snapshot(inputs.snapshot) as ctx, gc_paused():
        # a first audit makes a finding, evidence and message per failing user: gc paused
        results = _evaluate_all(inputs, ctx, chosen, policy_timeout, evidence)
    for result in results:
        for text in result.warnings:  # e.g. a subject waiver that names no subject
            warnings.warn(text, AuditWarning, stacklevel=2)
    baseline = {
        "name": inputs.baseline.name,
        "sha256": inputs.baseline.sha256,
        "failOn": inputs.fail_on,
        "params": inputs.params,
    }
    return build_document(
        results,
        snapshot=inputs.snapshot,
        baseline=baseline,
        fail_on=inputs.fail_on,
        invocation=inputs.invocation,
    )


def _evaluate_all(
    inputs: AuditInputs, ctx: Context, chosen: Iterable[Policy], policy_timeout: float, evidence: str
) -> list[PolicyResult]:
    from auditor.engine import evaluate_policy

    return [
        evaluate_policy(
            policy,
            ctx,
            inputs.params,
            waivers=inputs.waivers,
            budget_seconds=policy_timeout,
            evidence=evidence,
        )
        for policy in chosen
    ]


def formats(*, on_request: bool = False) -> tuple[str, ...]:
    """The formats written by default (json, sarif, junit, markdown, csv, html); with
    ``on_request``, every name :func:`render` accepts (also oscal, xlsx and ocsf)."""
    from auditor.report import FILE_FORMATS, FORMATS

    return tuple(FORMATS) if on_request else FILE_FORMATS


def report_filename(fmt: str) -> str:
    """The file name the CLI writes format ``fmt`` to (``results.json``, ``report.html``, ...)."""
    from auditor.report import get_format

    return get_format(fmt).filename


def render(document: Mapping[str, Any], fmt: str) -> bytes:
    """Render a (sealed) results document in format ``fmt``; ``KeyError`` for an unknown format."""
    from auditor.report import get_format

    # the caller hands a results document (``AuditResult.document`` or one read back and verified)
    return get_format(fmt).render(cast("ResultsDocument", document))


@dataclass(frozen=True)
class AuditResult:
    """A finished audit: the sealed results document and the gate's verdict."""

    document: ResultsDocument

    @property
    def summary(self) -> Summary:
        """Counts per status, ``gate``, ``failOn``, ``exitCode`` and ``expiredWaivers``."""
        return self.document["summary"]

    @property
    def gate(self) -> Gate:
        """``passed``, ``failed`` or ``incomplete``; with ``since`` (``audit --since``), the
        verdict on new failures only."""
        since = self.document.get("since")
        return since["gate"] if since else self.summary["gate"]

    @property
    def exit_code(self) -> int:
        """What the CLI exits with for this verdict: 0 passed, 1 failed, 3 incomplete."""
        since = self.document.get("since")
        return since["exitCode"] if since else gate_exit_code(self.summary["gate"])

    @property
    def results(self) -> list[ResultEntry]:
        """One entry per evaluated policy, sorted by policy ID."""
        return self.document["results"]

    def render(self, fmt: str) -> bytes:
        """This document in format ``fmt`` (see :func:`formats`)."""
        return render(self.document, fmt)


def audit(
    snapshot: SnapshotSource,
    *,
    policies: Sequence[str | Path] | None = None,
    baseline: str | None = None,
    waivers: str | Path | None = None,
    params: Mapping[str, Any] | None = None,
    fail_on: str | None = None,
    policy_timeout: float = DEFAULT_POLICY_TIMEOUT,
    progress: ProgressHook | None = None,
) -> AuditResult:
    """:func:`prepare`, :func:`evaluate` and seal: the whole audit, as ``auditor audit`` runs it."""
    inputs = prepare(
        snapshot, policies=policies, baseline=baseline, waivers=waivers, params=params, fail_on=fail_on
    )
    return AuditResult(seal(evaluate(inputs, policy_timeout=policy_timeout, progress=progress)))


from auditor.api.run import (  # noqa: E402  (needs the names above)
    AuditRequest,
    AuditRun,
    Observer,
    Silent,
    report_anchor,
    run,
    write_reports,
)

__all__ = [
    "DEFAULT_FAIL_ON",
    "DEFAULT_POLICY_TIMEOUT",
    "EVIDENCE_MODES",
    "AuditInputs",
    "AuditRequest",
    "AuditResult",
    "AuditRun",
    "AuditWarning",
    "Observer",
    "ProgressHook",
    "Silent",
    "SnapshotSource",
    "audit",
    "demo_snapshot",
    "demo_waivers_path",
    "evaluate",
    "formats",
    "load_snapshot",
    "prepare",
    "render",
    "report_anchor",
    "report_filename",
    "run",
    "seal",
    "write_reports",
]
