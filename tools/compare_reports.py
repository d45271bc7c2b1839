"""Check that a change leaves every report byte-identical: ``auditor audit`` from two source trees.

    python tools/compare_reports.py --demo --before /tmp/old-checkout --after .
    python tools/compare_reports.py SNAPSHOT --before OLD --after NEW [--keep DIR]
    python tools/compare_reports.py SNAPSHOT --after OLD --save REF      # keep reports for later
    python tools/compare_reports.py SNAPSHOT --after NEW --reference REF # compare with them
    ... [-- --baseline rollout-gate --param maxDays=30]                # more audit arguments

Each side runs ``python -m auditor audit`` in a fresh process with its tree first on
``PYTHONPATH``, a cache folder of its own, and every report format (json, sarif, junit,
markdown, csv, html) plus the console summary and the exit code. Reports are compared
byte for byte after replacing what legitimately differs between two runs: the results
document's ``generatedAt`` (in every format that prints it), and the paths of the tree and
of the output folder (and the document's integrity hash, which covers those paths). Any other difference is printed as a unified diff (first lines) and
the exit code is 1; identical reports exit 0.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

FORMATS = "json,sarif,junit,markdown,csv,html"
CONSOLE = "console.txt"
EXIT = "exit-code.txt"
#: lines of diff shown per differing file
SHOWN = 40


def run_audit(tree: Path, snapshot: str | None, out: Path, extra: list[str]) -> None:
    """``auditor audit`` from ``tree`` into ``out``: every report, the console text, the exit code."""
    out.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": str(tree),
        "AUDITOR_CACHE_DIR": str(out.parent / f"{out.name}.cache"),
        "NO_COLOR": "1",
        "COLUMNS": "120",
    }
    source = ["--demo"] if snapshot is None else [snapshot]
    cmd = [sys.executable, "-m", "auditor", "audit", *source, "--format", FORMATS, "--out", str(out), *extra]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=tree, check=False)
    if done.returncode not in (0, 1, 3):
        raise SystemExit(f"audit from {tree} failed (exit {done.returncode}):\n{done.stderr}")
    (out / CONSOLE).write_text(done.stdout, encoding="utf-8")
    (out / EXIT).write_text(f"{done.returncode}\n", encoding="utf-8")
    shutil.rmtree(out.parent / f"{out.name}.cache", ignore_errors=True)


def normalised(folder: Path, tree: str) -> dict[str, bytes]:
    """Every file in ``folder`` with generatedAt, the tree and the folder's own path replaced."""
    doc = json.loads((folder / "results.json").read_bytes())
    generated = doc["generatedAt"]
    integrity = str((doc.get("integrity") or {}).get("value"))
    stamp = (folder / ".folder").read_text(encoding="utf-8") if (folder / ".folder").exists() else str(folder)
    replacements = [
        (generated.encode(), b"<generatedAt>"),
        (stamp.encode(), b"<out>"),
        (tree.encode(), b"<tree>"),
        # the document's hash covers the paths above; everything it covers is compared anyway
        (integrity.encode(), b"<integrity>"),
    ]
    out: dict[str, bytes] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        data = path.read_bytes()
        for old, new in replacements:
            data = data.replace(old, new)
        out[path.name] = data
    return out


def compare(before: dict[str, bytes], after: dict[str, bytes]) -> list[str]:
    """Names of the files that differ (printing their diffs)."""
    differing = []
    for name in sorted(set(before) | set(after)):
        a, b = before.get(name), after.get(name)
        if a == b:
            print(f"  same       {name} ({len(a or b'')} bytes)")
            continue
        differing.append(name)
        print(f"  DIFFERENT  {name}")
        if a is None or b is None:
            print(f"    only in {'after' if a is None else 'before'}")
            continue
        lines = difflib.unified_diff(
            _lines(name, a),
            _lines(name, b),
            "before/" + name,
            "after/" + name,
            lineterm="",
            n=1,
        )
        for k, line in enumerate(lines):
            if k >= SHOWN:
                print("    ...")
                break
            print("    " + line[:200])
    return differing


def _lines(name: str, data: bytes) -> list[str]:
    """Lines to diff: JSON documents indented (results.json is one line), other files as they are."""
    text = data.decode("utf-8", "replace")
    if name.endswith((".json", ".sarif")):
        try:
            return json.dumps(json.loads(text), indent=1, sort_keys=True).splitlines()
        except ValueError:
            pass
    return text.splitlines()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("snapshot", nargs="?", help="snapshot file (or --demo)")
    parser.add_argument("--demo", action="store_true", help="audit the embedded demo tenant")
    parser.add_argument("--before", type=Path, help="source tree of the old version")
    parser.add_argument("--after", type=Path, default=Path("."), help="source tree of the new version")
    parser.add_argument("--reference", type=Path, help="compare --after with reports saved by --save")
    parser.add_argument("--save", type=Path, help="write --after's reports into this folder and stop")
    parser.add_argument("--keep", type=Path, help="keep both sides' reports in this folder")
    args, extra = parser.parse_known_args(argv)
    extra = [a for a in extra if a != "--"]
    if (args.snapshot is None) == (not args.demo):
        parser.error("give a snapshot file or --demo")
    if sum(x is not None for x in (args.before, args.reference, args.save)) != 1:
        parser.error("give exactly one of --before, --reference or --save")
    snapshot = str(Path(args.snapshot).resolve()) if args.snapshot else None
    after_tree = args.after.resolve()
    work = Path(tempfile.mkdtemp(prefix="compare-reports-"))
    try:
        if args.save is not None:
            target = args.save.resolve()
            run_audit(after_tree, snapshot, target, extra)
            (target / ".tree").write_text(str(after_tree), encoding="utf-8")
            (target / ".folder").write_text(str(target), encoding="utf-8")
            print(f"saved the reports of {after_tree} in {target}")
            return 0
        if args.reference is not None:
            before_dir = args.reference.resolve()
            before_tree = (before_dir / ".tree").read_text(encoding="utf-8")
        else:
            before_dir = work / "before"
            before_tree = str(args.before.resolve())
            run_audit(Path(before_tree), snapshot, before_dir, extra)
        after_dir = work / "after"
        run_audit(after_tree, snapshot, after_dir, extra)
        print(f"before: {before_tree}\nafter:  {after_tree}")
        differing = compare(normalised(before_dir, before_tree), normalised(after_dir, str(after_tree)))
        if args.keep is not None:
            shutil.copytree(work, args.keep, dirs_exist_ok=True)
        print("identical" if not differing else f"{len(differing)} report(s) differ: {', '.join(differing)}")
        return 1 if differing else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
