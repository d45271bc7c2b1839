"""``auditor test``: run policy test cases (DESIGN 4.3)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from auditor.builtin import builtin_dir
from auditor.errors import InputError, InputErrors


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "test",
        help="run policy test cases (*.test.yaml)",
        description="Run the *.test.yaml cases next to policies: each case is a small snapshot and the status "
        "the policy must give. Without PATH, the built-in library's tests run. "
        "Exit 0 all cases pass, 1 a case fails, 2 a policy or test file does not load.",
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="test files or folders (default: built-in library)"
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="list passing cases too")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from auditor.engine.cases import run_tests
    from auditor.policy import discover, load_policies

    paths = [_test_file_for(Path(p)) for p in args.paths] or [builtin_dir("policies")]
    files = discover(paths, tests=True)
    if not files:
        raise InputError("no policy test files (*.test.yaml) found", source=", ".join(map(str, paths)))
    policy_roots = sorted({p if p.is_dir() else p.parent for p in paths})
    policies = load_policies(policy_roots)
    outcomes, errors = run_tests(files, policies)
    console = Console()
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if o.passed and not args.verbose:
            continue
        mark = "[green]✓[/green]" if o.passed else "[red]✗[/red]"
        where = f"{o.file}:{o.line}" if o.line else o.file
        console.print(f"{mark} {escape(o.policy_id)} — {escape(o.name)} [dim]({escape(where)})[/dim]")
        for problem in o.problems:
            console.print(f"    {escape(problem)}; message: {escape(o.message[:300])}")
    for err in errors:
        console.print(f"[red]error[/red] {escape(str(err))}")
    tested = {o.policy_id for o in outcomes}
    untested = sorted(p.id for p in policies if p.id not in tested)
    console.print(
        f"{len(outcomes) - len(failed)} passed, {len(failed)} failed "
        f"({len(files)} test files, {len(tested)} policies)"
    )
    if untested and args.verbose:
        console.print(f"[yellow]policies without tests:[/yellow] {', '.join(untested)}")
    if errors:
        raise InputErrors(errors)
    return 1 if failed else 0


def _test_file_for(path: Path) -> Path:
    """A policy file given on the command line stands for its sibling ``NAME.test.yaml``."""
    if (
        path.is_file()
        and path.suffix in (".yaml", ".yml")
        and not path.name.endswith((".test.yaml", ".test.yml"))
    ):
        sibling = path.with_name(path.stem + ".test" + path.suffix)
        if sibling.is_file():
            return sibling
        raise InputError(f"no test file {sibling.name} beside the policy", source=str(path))
    return path
