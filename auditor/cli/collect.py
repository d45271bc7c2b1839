"""``auditor collect``: read the tenant (read-only) into a snapshot file."""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from auditor.cli import EXIT_INCOMPLETE, EXIT_OK
from auditor.cli.inputs import add_mode_argument
from auditor.vocab import counted

AUTH_HELP = (
    "how to authenticate: default, cli, secret, certificate, workload-identity, device-code, token "
    "(secrets only from the environment: AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_CLIENT_SECRET, "
    "AZURE_CLIENT_CERTIFICATE_PATH, AZURE_CLIENT_CERTIFICATE_PASSWORD, AUDITOR_ACCESS_TOKEN)"
)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not math.isfinite(value) or value <= 0:  # inf or nan would switch the bound off
        raise argparse.ArgumentTypeError(f"must be a positive, finite number, got {text!r}")
    return value


def add_collect_arguments(
    parser: argparse.ArgumentParser, *, out_flag: str = "--out", out_required: bool = True
) -> None:
    """The collection flags, shared by ``collect`` and ``run``."""
    from auditor.collect.auth import AUTH_MODES

    group = parser.add_argument_group("collection")
    if out_required:
        group.add_argument(
            out_flag,
            dest="snapshot_out",
            metavar="FILE",
            required=True,
            help="snapshot file to write (.json or .json.gz); written atomically",
        )
    else:
        group.add_argument(
            out_flag,
            dest="snapshot_out",
            metavar="FILE",
            default="snapshot.json",
            help="snapshot file to write (default: snapshot.json)",
        )
    group.add_argument("--tenant-id", metavar="ID", help="tenant id or domain (default: AZURE_TENANT_ID)")
    group.add_argument("--auth", choices=AUTH_MODES, default="default", metavar="MODE", help=AUTH_HELP)
    group.add_argument(
        "--sources",
        metavar="NAMES",
        help="comma-separated collection names to collect (default: all); groupMembers reads the "
        "collections that name its groups first",
    )
    group.add_argument(
        "--graph-url", metavar="URL", help="Microsoft Graph root (sovereign clouds, test servers)"
    )
    group.add_argument(
        "--exchange-url",
        metavar="URL",
        help="Exchange Online root (default outlook.office365.com; "
        "the --graph-url server when that is a loopback address)",
    )
    group.add_argument(
        "--arm-url",
        metavar="URL",
        help="Azure Resource Manager root (default management.azure.com; "
        "the --graph-url server when that is a loopback address)",
    )
    group.add_argument(
        "--activity-url",
        metavar="URL",
        help="Office 365 Management Activity API root (default manage.office.com; "
        "the --graph-url server when that is a loopback address)",
    )
    group.add_argument(
        "--sharepoint-url",
        metavar="URL",
        help="SharePoint admin root for sharepointTenant (default https://<tenant>-admin.sharepoint.com "
        "from the initial onmicrosoft.com domain; the --graph-url server when that is a loopback address)",
    )
    group.add_argument(
        "--powerbi-url",
        metavar="URL",
        help="Fabric (Power BI) admin API root for powerBiTenantSettings (default api.fabric.microsoft.com; "
        "the --graph-url server when that is a loopback address)",
    )
    group.add_argument(
        "--powerplatform-url",
        metavar="URL",
        help="Power Platform admin API root for the powerPlatform* collections (default api.bap.microsoft.com; "
        "GCC gov.api.bap.microsoft.us, GCC High high.api.bap.microsoft.us, DoD api.bap.appsplatform.us; "
        "the --graph-url server when that is a loopback address)",
    )
    group.add_argument(
        "--import",
        dest="imports",
        action="append",
        default=[],
        metavar="NAME=FILE",
        help="take collection NAME from FILE (e.g. Get-AdminAuditLogConfig | ConvertTo-Json)",
    )
    group.add_argument(
        "--concurrency",
        type=_positive_int,
        default=6,
        metavar="N",
        help="collections fetched at the same time (default 6)",
    )
    group.add_argument(
        "--timeout",
        type=_positive_float,
        default=100.0,
        metavar="SECONDS",
        help="per-request timeout (default 100)",
    )
    group.add_argument(
        "--max-retries",
        type=int,
        default=6,
        metavar="N",
        help="retries per request on 429/503/504 and timeouts (default 6)",
    )
    group.add_argument(
        "--time-budget",
        type=_positive_float,
        default=900.0,
        metavar="SECONDS",
        help="overall time the run may spend, waits included (default 900)",
    )
    group.add_argument("--quiet", action="store_true", help="no progress output")
    add_mode_argument(parser, "snapshot and report files" if not out_required else "snapshot")


def run_collect(args: argparse.Namespace) -> dict[str, Any]:
    """Collect according to ``args`` and write the snapshot; returns the document."""
    from auditor.collect.auth import build_credential
    from auditor.collect.catalog import select_sources
    from auditor.collect.fetching import RetryPolicy
    from auditor.collect.importer import parse_import_arg
    from auditor.collect.progress import make_reporter
    from auditor.collect.runner import CollectOptions, collect
    from auditor.errors import InputError, local_write_failure

    names = args.sources.split(",") if args.sources else None
    sources = select_sources(names)
    imports = tuple(parse_import_arg(a) for a in args.imports)
    if args.max_retries < 0 or args.max_retries > 20:
        raise InputError("--max-retries must be between 0 and 20")
    for flag, url in (
        ("--graph-url", args.graph_url),
        ("--exchange-url", args.exchange_url),
        ("--arm-url", args.arm_url),
        ("--activity-url", args.activity_url),
        ("--sharepoint-url", args.sharepoint_url),
        ("--powerbi-url", args.powerbi_url),
        ("--powerplatform-url", args.powerplatform_url),
    ):
        if url and not url.startswith(("https://", "http://localhost", "http://127.0.0.1", "http://[::1]")):
            raise InputError(f"{flag} must be an https URL (plain http only for localhost): {url}")
    exchange_url, arm_url, activity_url = args.exchange_url, args.arm_url, args.activity_url
    sharepoint_url, powerbi_url, powerplatform_url = (
        args.sharepoint_url,
        args.powerbi_url,
        args.powerplatform_url,
    )
    local_root = _loopback_origin(args.graph_url)
    if local_root:  # a local Graph-compatible server: keep every request on this machine
        exchange_url = exchange_url or local_root
        arm_url = arm_url or local_root
        activity_url = activity_url or local_root
        sharepoint_url = sharepoint_url or local_root
        powerbi_url = powerbi_url or local_root
        powerplatform_url = powerplatform_url or local_root
    auth = build_credential(args.auth, tenant_id=args.tenant_id)
    options = CollectOptions(
        sources=tuple(sources),
        graph_url=args.graph_url,
        exchange_url=exchange_url,
        arm_url=arm_url,
        activity_url=activity_url,
        sharepoint_url=sharepoint_url,
        powerbi_url=powerbi_url,
        powerplatform_url=powerplatform_url,
        tenant_id=args.tenant_id,
        concurrency=args.concurrency,
        timeout=args.timeout,
        retry=RetryPolicy(max_retries=args.max_retries, budget_seconds=args.time_budget),
        imports=imports,
        file_mode=args.mode,
    )
    reporter = make_reporter(sys.stderr, quiet=args.quiet)
    try:
        return collect(auth, options, out=args.snapshot_out, reporter=reporter)
    except OSError as exc:  # the snapshot could not be written (the old file, if any, is intact)
        raise local_write_failure("snapshot", exc, args.snapshot_out) from None
    finally:
        auth.credential.close()


def _run(args: argparse.Namespace) -> int:
    """Exit 0 when every collection is ok or answered (forbidden, not licensed, ...); 3 when a
    collection is ``error``, none succeeded or the tenant is unknown, with the reasons grouped
    (printed even with ``--quiet``: they explain the exit code)."""
    from auditor.cli import printable
    from auditor.collect.progress import incomplete_report

    doc = run_collect(args)
    ok = sum(1 for e in doc["sources"].values() if e["status"] == "ok")
    if not args.quiet:
        print(
            f"auditor: wrote {args.snapshot_out}: {ok} of {counted(len(doc['sources']), 'collection')} ok",
            file=sys.stderr,
        )
    problems = incomplete_report(doc)
    for line in problems:
        print(f"auditor: {printable(line)}", file=sys.stderr)
    return EXIT_INCOMPLETE if problems else EXIT_OK


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "collect",
        help="read-only collection into a snapshot",
        description="Read the tenant (read-only) into a snapshot file. A collection that cannot be read "
        "is recorded in 'sources' with its status (forbidden, not_licensed, ...) and no data. Exit codes: "
        "0 every collection ok or answered (forbidden, not_licensed, not_supported); 3 a collection is "
        "error, none succeeded or the tenant is unknown (the reasons are printed, grouped); 2 usage "
        "errors and local write failures.",
    )
    add_collect_arguments(parser)
    parser.set_defaults(func=_run)


def _loopback_origin(url: str | None) -> str | None:
    """``scheme://host:port`` of ``url`` when it is a loopback address, else None.

    A test or lab Graph server on this machine must not lead the collector to send
    the Exchange and ARM requests to the real Microsoft endpoints.
    """
    if not url:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "localhost" or host == "::1" or host.startswith("127."):
        return f"{parts.scheme}://{parts.netloc}"
    return None
