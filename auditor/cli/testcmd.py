"""``auditor test``: run policy test cases (``NAME.test.yaml`` beside each policy)."""

from __future__ import annotations

import argparse
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from auditor.builtin import builtin_dir
from auditor.errors import InputError, InputErrors
from auditor.vocab import counted

TEST_SUFFIXES = (".test.yaml", ".test.yml")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "test",
        help="run policy test cases (*.test.yaml)",
        description="Run the *.test.yaml cases next to policies: each case is a small snapshot and the "
        "status the policy must give. A file (policy or test file) loads that policy alone; a folder loads the "
        "policies in it. Without PATH, the built-in library's tests run. A case that errors prints the "
        "run-time error behind it. Exit 0 all cases pass, 1 a case fails, 2 a policy or test file does "
        "not load.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="policy files, test files or folders (default: built-in library)",
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
    policies = load_policies(sorted({_policy_source(p) for p in paths}))
    outcomes, errors = run_tests(files, policies)
    console = Console(soft_wrap=True)
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if o.passed and not args.verbose:
            continue
        mark = "[green]✓[/green]" if o.passed else "[red]✗[/red]"
        where = f"{o.file}:{o.line}" if o.line else o.file
        console.print(f"{mark} {escape(o.policy_id)} — {escape(o.name)} [dim]({escape(where)})[/dim]")
        for problem in o.problems:
            console.print(f"    {escape(problem)}")
        if o.passed:
            continue
        for error in o.errors[:5]:
            console.print(f"    [red]error:[/red] {escape(error)}")
        if len(o.errors) > 5:
            console.print(f"    … and {len(o.errors) - 5} more errors")
        if o.message and not o.errors:
            console.print(f"    message: {escape(o.message)}")
    for err in errors:
        console.print(f"[red]error[/red] {escape(str(err))}")
    tested = {o.policy_id for o in outcomes}
    untested = sorted(p.id for p in policies if p.id not in tested)
    console.print(
        f"{len(outcomes) - len(failed)} passed, {len(failed)} failed "
        f"({counted(len(files), 'test file')}, {counted(len(tested), 'policy')})"
    )
    if untested and args.verbose:
        console.print(f"[yellow]policies without tests:[/yellow] {', '.join(untested)}")
    if errors:
        raise InputErrors(errors)
    return 1 if failed else 0


def _policy_source(path: Path) -> Path:
    """What to load for a test path: a test file's own policy (``NAME.yaml``) alone, so that a broken
    neighbour cannot stop it; a folder (or a test file without a sibling policy) loads the folder."""
    if path.is_file() and path.name.endswith(TEST_SUFFIXES):
        for suffix in TEST_SUFFIXES:
            if path.name.endswith(suffix):
                sibling = path.with_name(path.name[: -len(suffix)] + suffix.replace(".test", ""))
                if sibling.is_file():
                    return sibling
        return path.parent
    return path if path.is_dir() else path.parent


def _test_file_for(path: Path) -> Path:
    """A policy file given on the command line stands for its sibling ``NAME.test.yaml``."""
    if path.is_file() and path.suffix in (".yaml", ".yml") and not path.name.endswith(TEST_SUFFIXES):
        sibling = path.with_name(path.stem + ".test" + path.suffix)
        if sibling.is_file():
            return sibling
        raise InputError(f"no test file {sibling.name} beside the policy", source=str(path))
    return path
