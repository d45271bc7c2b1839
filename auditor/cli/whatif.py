"""``auditor whatif SNAPSHOT --user UPN``: conditional access for one user, offline.

Lists every conditional access policy in the snapshot: whether it applies to the user for the
chosen application and client app type, why not when it does not, and what it demands; then
what the user must do to sign in. Like the Entra portal's What If tool, but from a snapshot,
scriptable, and without access to the tenant. Risk, platform and (unless --location is given)
location are left open: a policy limited by them says so.
"""

from __future__ import annotations

import argparse
import json
import sys

from auditor.api import demo_snapshot
from auditor.cli.preflight import FORMATS, check_args, preflight_requested, run_preflight
from auditor.cli.whatif_shapes import check_shapes
from auditor.coverage import capolicy as cap
from auditor.coverage import tenant_for
from auditor.coverage.whatif import UnknownLocation, WhatIf, what_if
from auditor.errors import InputError
from auditor.report.safetext import guard_lines, inert
from auditor.snapshot import load_snapshot
from auditor.vocab import SEVERITIES


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "whatif",
        help="which conditional access policies apply to a user, and what they demand (offline What If)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("snapshot", metavar="SNAPSHOT", nargs="?", help="snapshot file (.json or .json.gz)")
    p.add_argument("--demo", action="store_true", help="use the embedded demo tenant instead of a snapshot")
    p.add_argument("--user", metavar="UPN", help="user principal name or object id")
    p.add_argument(
        "--app",
        default=cap.OTHER_APP,
        metavar="ID",
        help="application id, Office365, MicrosoftAdminPortals, or a user action "
        "(urn:user:registersecurityinfo, urn:user:registerdevice); default: any other resource",
    )
    p.add_argument(
        "--client", default="browser", choices=cap.CLIENTS, help="client app type (default: browser)"
    )
    p.add_argument(
        "--location",
        metavar="WHERE",
        help="a named location's display name or id, an IP address, or a country code "
        "(default: any location; policies limited to some say so)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    pre = p.add_argument_group("rollout pre-flight (instead of --user; see docs/preflight.md)")
    pre.add_argument(
        "--wave",
        nargs="?",
        const="",
        metavar="FILE.csv",
        help="future users, one row each (Entra user properties as columns, optional roles and groups "
        "columns, ';'-separated); with --demo and no file: the embedded example wave",
    )
    pre.add_argument(
        "--change",
        nargs="*",
        metavar="PATH",
        help="conditional access policies as Graph JSON, new or replacing the policy with the same id; "
        "with --demo and no file: the embedded example change",
    )
    pre.add_argument("--remove", nargs="+", metavar="ID", help="ids of conditional access policies removed")
    pre.add_argument(
        "--baseline", help="baseline whose conditional access requirements are judged (default: every policy)"
    )
    pre.add_argument(
        "--param", action="append", metavar="NAME=VALUE", help="override a policy param (repeatable)"
    )
    pre.add_argument(
        "--fail-on", choices=[s.value for s in SEVERITIES], help="lowest severity that fails (exit 1)"
    )
    pre.add_argument("--format", default="text", choices=FORMATS, help="report format (default: text)")
    p.set_defaults(func=run)


_APP_ALIASES = {
    "office365": cap.OTHER_OFFICE,
    "microsoftadminportals": cap.ADMIN_PORTALS,
    "all": cap.OTHER_APP,
}


def run(args: argparse.Namespace) -> int:
    if bool(args.demo) == bool(args.snapshot):
        raise InputError("give either a SNAPSHOT or --demo (not both)", source="whatif")
    check_args(args, args.user)
    snapshot = demo_snapshot() if args.demo else load_snapshot(args.snapshot)
    if preflight_requested(args):
        return run_preflight(args, snapshot)
    for name in ("conditionalAccessPolicies", "users"):
        status = snapshot.source_status(name)
        if not status.ok:
            raise InputError(f"{name} is not in the snapshot ({status.describe()})", source=snapshot.source)
    check_shapes(snapshot.data, snapshot.source)
    app = _APP_ALIASES.get(
        args.app.lower(), args.app.lower() if args.app.lower().startswith("urn:") else args.app
    )
    try:
        tenant = tenant_for(snapshot.data, snapshot.source_status)
        user = tenant.directory.user_by_upn(args.user)
        if user is None:
            raise InputError(f"no user {args.user!r} in the snapshot's users", source=snapshot.source)
        result = what_if(tenant, str(user["id"]), app, args.client, args.location)
        states = [state for state in (result, result.activated) if state is not None]
        outcomes = [state.outcome() for state in states]
    except UnknownLocation as err:
        raise InputError(str(err.args[0]), source=snapshot.source) from None
    except (AttributeError, TypeError, KeyError, ValueError, IndexError) as exc:
        # a shape check_shapes does not know yet: still the snapshot's fault, not ours
        raise InputError(
            f"malformed conditional access or directory data ({type(exc).__name__}: {exc})",
            source=snapshot.source,
        ) from None
    if args.json:
        # ensure_ascii: control and bidi characters travel as \u escapes, never raw
        _emit(json.dumps(_as_json(result), indent=2, ensure_ascii=True))
        return 0
    app_label = cap.atom_name(app)
    where = f" at {inert(str(args.location))}" if args.location else ""
    lines: list[str] = []
    for state, outcome in zip(states, outcomes, strict=True):
        lines.append(
            f"What if {inert(str(state.user))} ({inert(str(state.guest or 'member'))}) signs in to "
            f"{inert(str(app_label))} from {cap.CLIENT_LABELS.get(args.client, args.client)}{where}"
            + (f", {inert(str(state.state))}" if state.state else "")
            + ":"
        )
        for v in state.verdicts:
            mark = {True: "applies", False: "n/a    ", None: "unknown"}[v.applies]
            label = "" if v.enforced else f" [{inert(str(v.state))}: not enforced]"
            detail = v.reason if v.applies is not True else (v.reason or "")
            line = f"  {mark}  {inert(str(v.name))}{label}: {inert(str(v.demands))}"
            if detail:
                line += f" — {inert(str(detail))}"
            lines.append(line)
        lines.append(f"To sign in: {inert(str(outcome))}")
    _emit("\n".join(lines))
    return 0


def _emit(text: str) -> None:
    """Print through the shared last step: no control or bidi character, no workflow command."""
    sys.stdout.write(guard_lines(text) + "\n")
    sys.stdout.flush()


def _as_json(result: WhatIf) -> dict[str, object]:
    out: dict[str, object] = {
        "user": result.user,
        "guestType": result.guest,
        "app": result.app,
        "client": result.client,
        "location": result.location,
        "state": result.state or None,
        "outcome": result.outcome(),
        "policies": [
            {
                "name": v.name,
                "state": v.state,
                "enforced": v.enforced,
                "applies": v.applies,
                "reason": v.reason,
                "demands": v.demands,
            }
            for v in result.verdicts
        ],
    }
    if result.activated is not None:
        out["activated"] = _as_json(result.activated)
    return out
