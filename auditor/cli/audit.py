"""``auditor audit``: evaluate policies against a snapshot, print a summary, write reports."""

from __future__ import annotations

import argparse
import contextlib
import functools
import math
import sys
import warnings
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from auditor import api
from auditor.cli import ends_process
from auditor.cli.inputs import parse_params
from auditor.errors import InputError
from auditor.gcpause import gc_paused
from auditor.vocab import SEVERITIES

if TYPE_CHECKING:
    from auditor.results.types import ResultsDocument

CONSOLE = "console"


def positive_seconds(text: str) -> float:
    """A finite, positive number of seconds: ``inf`` or ``nan`` would switch the budget off."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive, finite number of seconds, got {text!r}")
    return value


def add_audit_arguments(parser: argparse.ArgumentParser, *, positional_snapshot: bool) -> None:
    """The audit options, shared with ``auditor run``."""
    if positional_snapshot:
        parser.add_argument(
            "snapshot",
            nargs="?",
            metavar="SNAPSHOT",
            help="snapshot file (.json or .json.gz) written by 'auditor collect'",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="audit the embedded demo tenant (with its demo waivers) instead of a snapshot",
        )
    parser.add_argument(
        "--baseline",
        metavar="NAME|FILE",
        help="built-in baseline name (see 'auditor baselines list') or a baseline file",
    )
    parser.add_argument(
        "--policies",
        nargs="+",
        action="extend",
        metavar="PATH",
        help="evaluate the policies in these files or folders instead of the built-in library; the word "
        "'builtin' adds the built-in library (--policies builtin ./mine, or builtin,./mine)",
    )
    parser.add_argument(
        "--format",
        action="append",
        metavar="F[,F...]",
        help="reports to write: json, sarif, junit, markdown, csv, html, console "
        "(default: all files; the console summary is always printed)",
    )
    parser.add_argument(
        "--out", default="reports", metavar="DIR", help="folder for report files (default: reports)"
    )
    parser.add_argument(
        "--fail-on",
        choices=[str(s) for s in SEVERITIES],
        metavar="SEVERITY",
        help="lowest severity that fails the gate (default: the baseline's failOn, else high)",
    )
    parser.add_argument("--waivers", metavar="FILE", help="extra waivers (YAML, same form as a baseline's)")
    parser.add_argument(
        "--param",
        action="append",
        metavar="NAME=VALUE",
        help="override a policy param (VALUE is YAML: 365, [a, b], true); repeatable",
    )
    parser.add_argument(
        "--policy-timeout",
        type=positive_seconds,
        default=60.0,
        metavar="SECONDS",
        help="time one policy may take before it is reported as error (default 60)",
    )
    parser.add_argument(
        "--evidence",
        choices=("needed", "all"),
        default="needed",
        help="needed (default): failing and erroring subjects keep the fields their policy reads; "
        "all: every subject is listed, with all of its fields",
    )
    parser.add_argument(
        "--since",
        metavar="OLD_RESULTS",
        help="gate on failures that are new against this earlier results.json; reports mark what is new",
    )
    parser.add_argument(
        "--redact",
        action="store_true",
        help="pseudonymise names, principal names, mail addresses and object IDs in every output "
        "(keyed by AUDITOR_REDACT_KEY or --redact-key-file, so runs with the same key map alike)",
    )
    parser.add_argument(
        "--redact-key-file",
        metavar="FILE",
        help="file holding the redaction key (implies --redact)",
    )
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="list every policy and failing subject in the console summary, with whole messages",
    )
    if "--quiet" not in parser._option_string_actions:  # 'auditor run' shares one --quiet with collect
        parser.add_argument("--quiet", "-q", action="store_true", help="print only the gate verdict line")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "audit",
        help="evaluate policies against a snapshot",
        description="Evaluate policies against a snapshot, print a console summary and write the chosen "
        "reports into --out. Exit codes: 0 gate passed, 1 gate failed, 2 usage or input error, "
        "3 incomplete (an error result at or above --fail-on, e.g. data not collected).",
    )
    add_audit_arguments(parser, positional_snapshot=True)
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    if args.demo and args.snapshot:
        raise InputError("give either a SNAPSHOT or --demo, not both", source="audit")
    if not args.demo and not args.snapshot:
        raise InputError(
            "a SNAPSHOT file is required (or --demo to try the embedded demo tenant)", source="audit"
        )
    if args.demo and not args.waivers and _runs_builtin(args.policies):
        # the demo waivers name built-in policies; a run of the user's own policies alone has none
        args.waivers = api.demo_waivers_path()
    return run_audit(args, api.demo_snapshot() if args.demo else args.snapshot)


def _runs_builtin(policies: list[str] | None) -> bool:
    """Whether ``--policies`` (absent, or naming ``builtin``) includes the built-in library."""
    from auditor.policy.load import BUILTIN

    return not policies or any(BUILTIN in str(p).split(",") for p in policies)


def chosen_formats(values: list[str] | None) -> list[str]:
    known = api.formats()
    if not values:
        return list(known)
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    for name in names:
        if name != CONSOLE and name not in known:
            import difflib

            close = difflib.get_close_matches(name.lower(), [*known, CONSOLE, "md", "xml"], n=1)
            alias = {"md": "markdown", "xml": "junit"}
            hint = f" (did you mean {alias.get(close[0], close[0])!r}?)" if close else ""
            raise InputError(
                f"unknown format {name!r}{hint}; choose from {', '.join([*known, CONSOLE])}",
                source="--format",
            )
    return [n for n in dict.fromkeys(names) if n != CONSOLE]


def write_reports(
    doc: dict[str, Any], formats: list[str], out: Path, *, announce: Callable[[str], None] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Seal the document and write the chosen formats into ``out``, one at a time.

    ``results.json`` is written first, streaming, and sealing happens while it is written
    (one encoding, hashed as it goes); without it the same encoding only feeds the hash.
    Every other format is rendered, written and released before the next one, and the
    formats that can stream (csv) never hold their whole text. Returns the sealed document
    and the file names written. ``announce`` hears each file's name before it is written.
    The files written replace the earlier set in ``out``: report files of an earlier run that
    this one does not write again are removed (never any other file).
    """
    from auditor.cli.output import staged_report_set
    from auditor.report import get_format
    from auditor.results import write_sealed
    from auditor.snapshot import write_atomic, write_atomic_stream

    written: list[str] = []
    if not formats:
        return write_sealed(doc, None), written
    # into a folder beside ``out``, published as one set: an interrupt leaves the old reports
    with staged_report_set(out, replaces=True) as staging:
        if "json" in formats:
            fmt = get_format("json")
            if announce is not None:
                announce(fmt.filename)
            box: list[dict[str, Any]] = []
            write_atomic_stream(staging / fmt.filename, lambda fh: box.append(write_sealed(doc, fh)))
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
                write_atomic_stream(staging / fmt.filename, functools.partial(_stream_into, stream, doc))
            else:
                # ``doc`` is the sealed form of the document ``build_document`` made
                write_atomic(staging / fmt.filename, fmt.render(cast("ResultsDocument", doc)))
            written.append(fmt.filename)
    return doc, written


def _stream_into(
    write: Callable[[Mapping[str, Any], BinaryIO], None], doc: Mapping[str, Any], fh: BinaryIO
) -> None:
    write(doc, fh)


def run_audit(args: argparse.Namespace, snapshot: api.SnapshotSource) -> int:
    """Audit ``snapshot`` with the audit options in ``args``; returns the gate's exit code.

    The cyclic garbage collector stays off for the rest of the command: an audit builds
    millions of findings, rows and strings that reference counting frees, and each
    collection pass would walk all of them again (a sixth of a worst-case run) to find
    cycles that the audit does not make. It is switched back on at the end (for callers
    that run the command in-process).

    Python code generated for the policies' expressions is kept in the user's cache between
    runs (compiling it was a sixth of evaluating the library on a mid-sized tenant).
    """
    from auditor.policy import cache

    cache.load_code()
    with gc_paused():
        code = _audit(args, snapshot)
    cache.store_code()
    return code


def _audit(args: argparse.Namespace, snapshot: api.SnapshotSource) -> int:
    from auditor.cli.audit_progress import AuditProgress

    formats = chosen_formats(args.format)
    shown = AuditProgress()
    with shown.step(_reading(snapshot)):
        inputs = api.prepare(
            snapshot,
            policies=args.policies,
            baseline=args.baseline,
            waivers=args.waivers,
            params=parse_params(args.param),
            fail_on=args.fail_on,
            evidence=args.evidence,
        )
    if args.policy_timeout <= 0:
        raise InputError("must be a positive number of seconds", source="--policy-timeout")
    anchor = report_anchor(args.baseline, snapshot)
    if anchor is not None:  # the demo has no file to point at; its document stays the API's
        inputs.invocation["reportAnchor"] = anchor
    since_path = getattr(args, "since", None)
    old = _load_since(since_path) if since_path else None
    redactor = _redactor(args, inputs.snapshot)
    progress = shown.policies if shown.enabled else None
    with _warnings_redacted(redactor):  # a waiver's warning may quote the subject it names
        doc = api.evaluate(inputs, progress=progress, policy_timeout=args.policy_timeout)
    if redactor is not None:
        from auditor.results.redact import redact_document

        doc = cast("ResultsDocument", redact_document(dict(doc), redactor))
    if old is not None and since_path:
        from auditor.results.since import since_member

        doc["invocation"]["since"] = since_path
        doc["since"] = since_member(doc, old, since_path)
    if ends_process():
        # freeing a snapshot's millions of objects is a twentieth of the run, and the process
        # is about to end without freeing anything (see ``auditor.cli.run``)
        _HELD.append(inputs)
    del inputs  # else the snapshot is no longer needed: let it go before the reports are written
    out = Path(args.out)
    with shown.step("Writing reports"):
        sealed, rendered = write_reports(
            dict(doc), formats, out, announce=lambda name: shown.update(f"Writing {name}")
        )
    result = api.AuditResult(sealed)  # type: ignore[arg-type]
    try:
        print_summary(result.document, quiet=args.quiet, verbose=args.verbose)
        if rendered:
            _echo(f"wrote {', '.join(str(out / f) for f in rendered)}")
    except OSError as exc:  # stdout is full, closed or broken; the reports are written
        return output_failed(result.exit_code, exc)
    return result.exit_code


def output_failed(gate_code: int, exc: OSError) -> int:
    """The exit code when the console summary could not be written (a full device, a closed
    pipe): a failed or incomplete gate keeps its code, since the reports that say so are
    written; a passed gate becomes ``2``, never ``0`` (success that could not be shown is not
    claimed) and never ``1`` (the tenant did not fail)."""
    from auditor.cli import EXIT_USAGE, say, silence_stdout

    silence_stdout()
    say(f"auditor: error: cannot write the summary to standard output: {exc.strerror or exc}")
    return gate_code or EXIT_USAGE


def _reading(snapshot: api.SnapshotSource) -> str:
    """The status line while the snapshot is read and checked (with its size, for a file)."""
    from auditor.cli.audit_progress import size_text

    if isinstance(snapshot, str | Path):
        try:
            path = Path(snapshot)
            return f"Reading and checking {path.name} ({size_text(path.stat().st_size)})"
        except OSError:
            pass  # reported by the reader, with the reason
    return "Reading and checking the snapshot"


#: snapshots kept until the process ends (only when it ends right after the command)
_HELD: list[Any] = []


def _load_since(path: str) -> dict[str, Any]:
    from auditor.results import load_results

    return load_results(path)


def _redactor(args: argparse.Namespace, snapshot: Any) -> Any:
    """The redactor for ``--redact``; the key never appears in any output."""
    import os

    key_file = getattr(args, "redact_key_file", None)
    if not (getattr(args, "redact", False) or key_file):
        return None
    from auditor.results.redact import Redactor, load_key

    file_bytes = None
    if key_file:
        try:
            file_bytes = Path(key_file).read_bytes()
        except OSError as exc:
            raise InputError(
                f"cannot read the redaction key: {exc.strerror or exc}", source=key_file
            ) from None
    key = load_key(os.environ.get("AUDITOR_REDACT_KEY"), file_bytes)
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


def report_anchor(baseline: str | None, snapshot: api.SnapshotSource) -> str | None:
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


def _echo(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def print_summary(doc: ResultsDocument, *, quiet: bool, verbose: bool) -> None:
    """The console summary: rich on a terminal (wrapped with hanging indents); whole plain
    lines (one per finding, never wrapped or cut) in CI logs and pipes."""
    from auditor.report.consolelines import MIN_PLAIN_WIDTH, render_console_lines, verdict_line

    if quiet:
        _echo(verdict_line(doc))
        return
    if sys.stdout.isatty():
        import io

        from rich.console import Console

        from auditor.report.console import render_console
        from auditor.report.safetext import guard_lines

        # rendered into text first: a wrapped or folded line must not start with a workflow
        # command either (a terminal is sometimes a CI log: `docker run -t` in a job step)
        buf = io.StringIO()
        Console(
            file=buf, force_terminal=True, color_system="auto", width=Console().width, highlight=False
        ).print(render_console(doc, verbose=verbose), crop=False)
        sys.stdout.write(guard_lines(buf.getvalue()))
        sys.stdout.flush()
        return
    import shutil

    width = max(shutil.get_terminal_size((MIN_PLAIN_WIDTH, 24)).columns, MIN_PLAIN_WIDTH)
    sys.stdout.write(render_console_lines(doc, width, verbose=verbose))
    sys.stdout.flush()
