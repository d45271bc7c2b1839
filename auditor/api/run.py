"""The whole audit as ``auditor audit`` runs it, reports and signature included.

:func:`run` takes an :class:`AuditRequest` (what the user chose) and does every step in
order: read and bind the inputs, evaluate, redact (``--redact``), compare with an earlier
run (``--since``), write the chosen reports into ``out`` as one set while the document is
sealed, and sign them (``--attest``). The CLI parses flags into a request, calls this, prints
the summary and exits with :attr:`AuditRun.exit_code`; a service or a notebook can do the same.

Nothing here prints: what a person watching would like to see (the step, the policy being
evaluated, the file being written) is told to the :class:`Observer` the caller supplies.
"""

from __future__ import annotations

import contextlib
import functools
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast

from auditor.errors import InputError
from auditor.gcpause import gc_paused

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from auditor.api import AuditInputs, AuditResult, SnapshotSource
    from auditor.policy import Policy
    from auditor.results.types import ResultsDocument


class Observer(Protocol):
    """Hears what an audit is doing; the CLI's is a status line and a progress bar."""

    def step(self, text: str) -> AbstractContextManager[None]:
        """A step (``Reading and checking snapshot.json (117 MB)``) that lasts the block."""

    def update(self, text: str) -> None:
        """New text for the current step (``Writing report.html``)."""

    def policies(self, policies: Sequence[Policy]) -> Iterable[Policy]:
        """The policies as they are evaluated (wrap them to show progress)."""


class Silent:
    """The observer that hears nothing: the default."""

    def step(self, text: str) -> AbstractContextManager[None]:
        return contextlib.nullcontext()

    def update(self, text: str) -> None:
        return None

    def policies(self, policies: Sequence[Policy]) -> Iterable[Policy]:
        return policies


@dataclass(frozen=True)
class AuditRequest:
    """Everything ``auditor audit`` is asked to do.

    ``snapshot``, ``policies``, ``baseline``, ``waivers``, ``params``, ``fail_on``, ``evidence``
    and ``policy_timeout`` are those of :func:`auditor.api.prepare` and
    :func:`auditor.api.evaluate`. ``anchor``: record the file SARIF results point at
    (:func:`report_anchor`). ``since``: an earlier ``results.json``, to gate on new failures
    only. ``redact``: pseudonymise with the key ``redact_key`` (the text of
    ``AUDITOR_REDACT_KEY``) or the bytes of ``redact_key_file``. ``formats`` are written into
    ``out`` with permissions ``mode``; ``attest_key`` or ``attest_sigstore`` then sign
    ``results.json``. ``hold_inputs`` keeps the snapshot alive until the process ends
    (freeing millions of objects costs time a process about to exit need not spend).
    """

    snapshot: SnapshotSource
    policies: Sequence[str] | None = None
    baseline: str | None = None
    waivers: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    fail_on: str | None = None
    evidence: str = "needed"
    policy_timeout: float = 60.0
    anchor: bool = True
    since: str | None = None
    #: compare with a ``since`` document of another tenant anyway (``--allow-other-tenant``)
    allow_other_tenant: bool = False
    redact: bool = False
    redact_key: str | None = None
    redact_key_file: str | None = None
    formats: Sequence[str] = ()
    out: str | Path = "."
    mode: int = 0o600
    attest: bool = False
    attest_key: str | None = None
    attest_sigstore: bool = False
    hold_inputs: bool = False


@dataclass(frozen=True)
class AuditRun:
    """A finished :func:`run`: the sealed result and the files written into ``out``."""

    result: AuditResult
    written: tuple[str, ...]

    @property
    def exit_code(self) -> int:
        """The gate's exit code (with ``since``, the verdict on new failures)."""
        return self.result.exit_code


#: inputs kept until the process ends (only when the request asks to)
_HELD: list[Any] = []


def run(request: AuditRequest, observer: Observer | None = None) -> AuditRun:
    """Run the audit ``request`` describes; every input problem is an ``InputError``.

    The cyclic garbage collector stays off for the whole run: an audit builds millions of
    findings, rows and strings that reference counting frees, and each collection pass would
    walk all of them again to find cycles the audit does not make. The Python code generated
    for the policies' expressions is kept in the user's cache between runs.
    """
    from auditor.policy import cache

    cache.load_code()
    with gc_paused():
        done = _run(request, observer or Silent())
    cache.store_code()
    return done


def _run(request: AuditRequest, observer: Observer) -> AuditRun:
    from auditor import api

    with observer.step(reading_text(request.snapshot)):
        inputs = api.prepare(
            request.snapshot,
            policies=request.policies,
            baseline=request.baseline,
            waivers=request.waivers,
            params=request.params,
            fail_on=request.fail_on,
            evidence=request.evidence,
        )
    doc = evaluate_request(request, inputs, observer)
    if request.hold_inputs:
        _HELD.append(inputs)
    del inputs  # else the snapshot is no longer needed: let it go before the reports are written
    out = Path(request.out)
    with observer.step("Writing reports"):
        sealed, written = write_reports(
            dict(doc),
            request.formats,
            out,
            announce=lambda name: observer.update(f"Writing {name}"),
            mode=request.mode,
        )
    if request.attest:
        written.append(
            Path(attest_reports(request.snapshot, out, request.attest_key, request.attest_sigstore)).name
        )
    return AuditRun(api.AuditResult(cast("ResultsDocument", sealed)), tuple(written))


def evaluate_request(request: AuditRequest, inputs: AuditInputs, observer: Observer) -> ResultsDocument:
    """Evaluate ``inputs`` and apply the request's anchor, redaction and ``since``: the
    unsealed document the reports are written from."""
    from auditor import api

    if request.anchor:
        anchor = report_anchor(request.baseline, request.snapshot)
        if anchor is not None:  # the demo has no file to point at; its document stays the API's
            inputs.invocation["reportAnchor"] = anchor
    old = _load_since(request.since) if request.since else None
    redactor = _redactor(request, inputs.snapshot) if request.redact or request.redact_key_file else None
    with _warnings_redacted(redactor):  # a waiver's warning may quote the subject it names
        doc = api.evaluate(inputs, progress=observer.policies, policy_timeout=request.policy_timeout)
    if redactor is not None:
        from auditor.results.redact import redact_document

        doc = cast("ResultsDocument", redact_document(dict(doc), redactor))
    if old is not None and request.since:
        from auditor.results.newfailures import check_same_tenant
        from auditor.results.since import since_member

        check_same_tenant(old, doc, request.since, "this audit", allow=request.allow_other_tenant)

        doc["invocation"]["since"] = request.since
        doc["since"] = since_member(doc, old, request.since)
    return doc


def write_reports(
    doc: dict[str, Any],
    formats: Sequence[str],
    out: Path,
    *,
    announce: Callable[[str], None] | None = None,
    mode: int = 0o600,
) -> tuple[dict[str, Any], list[str]]:
    """Seal the document and write the chosen formats into ``out``, one at a time.

    ``results.json`` is written first, streaming, and sealing happens while it is written
    (one encoding, hashed as it goes); without it the same encoding only feeds the hash.
    Every other format is rendered, written and released before the next one, and the
    formats that can stream (csv) never hold their whole text. Returns the sealed document
    and the file names written. ``announce`` hears each file's name before it is written.
    The files written replace the earlier set in ``out``: report files of an earlier run that
    this one does not write again are removed (never any other file). Every file gets
    permissions ``mode`` (``--mode``; default 0600, the owner only).
    """
    from auditor.api.reportset import staged_report_set
    from auditor.report import get_format
    from auditor.results import write_sealed
    from auditor.snapshot import write_atomic, write_atomic_stream

    written: list[str] = []
    if not formats:
        return write_sealed(doc, None), written
    # into a folder beside ``out``, published as one set: an interrupt leaves the old reports
    with staged_report_set(out, mode, replaces=True) as staging:
        if "json" in formats:
            fmt = get_format("json")
            if announce is not None:
                announce(fmt.filename)
            box: list[dict[str, Any]] = []
            write_atomic_stream(staging / fmt.filename, lambda fh: box.append(write_sealed(doc, fh)), mode)
            doc = box[0]
            written.append(fmt.filename)
        else:
            doc = write_sealed(doc, None)
        for name in formats:
            if name == "json":
                continue
            fmt = get_format(name)
            if announce is not None:
                announce(fmt.filename)
            stream: Callable[[Mapping[str, Any], BinaryIO], None] | None = getattr(fmt, "write", None)
            if stream is not None:
                write_atomic_stream(
                    staging / fmt.filename, functools.partial(_stream_into, stream, doc), mode
                )
            else:
                # ``doc`` is the sealed form of the document ``build_document`` made
                write_atomic(staging / fmt.filename, fmt.render(cast("ResultsDocument", doc)), mode)
            written.append(fmt.filename)
    return doc, written


def _stream_into(
    write: Callable[[Mapping[str, Any], BinaryIO], None], doc: Mapping[str, Any], fh: BinaryIO
) -> None:
    write(doc, fh)


def attest_reports(snapshot: SnapshotSource, out: Path, key: str | None, sigstore: bool) -> str:
    """Sign ``out/results.json`` with ``key`` or Sigstore; the attestation file written."""
    from importlib import resources

    from auditor.results.attest import ATTESTATION_FILENAME, attest

    if isinstance(snapshot, str | Path):
        path: Path | None = Path(snapshot)
        raw = None
    else:  # the embedded demo tenant has no file: sign its bytes under the demo's name
        path = None
        raw = resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes()
    target = attest(
        out / "results.json",
        path,
        key=key,
        sigstore=sigstore,
        out=out / ATTESTATION_FILENAME,
        snapshot_raw=raw,
    )
    return str(target)


def reading_text(snapshot: SnapshotSource) -> str:
    """The step while the snapshot is read and checked (with its size, for a file)."""
    if isinstance(snapshot, str | Path):
        try:
            path = Path(snapshot)
            return f"Reading and checking {path.name} ({size_text(path.stat().st_size)})"
        except OSError:
            pass  # reported by the reader, with the reason
    return "Reading and checking the snapshot"


def size_text(size: int) -> str:
    """A file size for people: ``117 MB``, ``1.8 GB``."""
    if size >= 1_000_000_000:
        return f"{size / 1e9:.1f} GB"
    if size >= 1_000_000:
        return f"{size / 1e6:.0f} MB"
    return f"{max(size, 1) / 1e3:.0f} kB"


def _load_since(path: str) -> dict[str, Any]:
    from auditor.results import load_results

    return load_results(path)


def _redactor(request: AuditRequest, snapshot: Any) -> Any:
    """The redactor for ``--redact``; the key never appears in any output."""
    from auditor.results.redact import Redactor, load_key

    key_file = request.redact_key_file
    file_bytes = None
    if key_file:
        try:
            file_bytes = Path(key_file).read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read the redaction key: {exc.strerror or exc}", source=key_file
            ) from None
    key = load_key(request.redact_key, file_bytes)
    if len(key) < 16:
        raise InputError(
            "--redact needs a key of at least 16 bytes in AUDITOR_REDACT_KEY or --redact-key-file "
            "(the same key gives the same pseudonyms in every run)",
            source=key_file or "--redact",
        )
    return Redactor(key, snapshot.data)


@contextlib.contextmanager
def _warnings_redacted(redactor: Any) -> Iterator[None]:
    """With ``--redact``, warnings shown on stderr are redacted like the reports."""
    if redactor is None:
        yield
        return
    previous = warnings.showwarning

    def show(message: Warning | str, category: type[Warning], *rest: Any, **kw: Any) -> None:
        previous(redactor.text(str(message)), category, *rest, **kw)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = previous


def report_anchor(baseline: str | None, snapshot: SnapshotSource) -> str | None:
    """The file SARIF results point at: one that exists in the repository being scanned.

    The baseline file when the audit used one from disk, else the snapshot file; as a
    POSIX path relative to the working directory when it lies below it (code scanning
    resolves URIs against the repository root, where CI runs). None for the demo."""
    import os

    candidates = [baseline] if baseline and Path(baseline).is_file() else []
    if isinstance(snapshot, str | Path):
        candidates.append(str(snapshot))
    for candidate in candidates:
        path = Path(candidate).resolve()
        try:
            return path.relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            return Path(os.path.normpath(candidate)).as_posix()
    return None
