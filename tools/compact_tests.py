#!/usr/bin/env python3
"""Rewrite policy test files (``*.test.yaml``) as one shared ``base`` plus a ``patch`` per case.

Most cases of a test file repeat the same Graph objects with a field or two changed.
This tool picks, per file, the case data that makes the patches smallest as
``base.data``, and gives every case the JSON merge patch (with ``$byId`` for lists of
objects; see ``auditor/engine/patch.py``) that turns the base into its data. A case
whose data a patch cannot reproduce, or whose patch would be larger, keeps its full
``data``. (A patch reproduces a case's data up to the order of list elements with ids.)

Before writing, it VERIFIES the rewritten file: every case must expand to the data it
had (up to that order), and running both files through the engine (the ``auditor test`` path)
must give the same outcome for every case (status, findings checks, message). A file
that fails verification, has comments other than its leading comment block (they
would be lost), or would not get smaller is left as it is.

    python3 tools/compact_tests.py policies/directory/x.test.yaml ...   # rewrite in place
    python3 tools/compact_tests.py --check policies/                     # report only
"""

from __future__ import annotations

import argparse
import copy
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run from a checkout without installing
    sys.path.insert(0, str(ROOT))

from auditor.engine.cases import CaseOutcome, case_data, run_test_file  # noqa: E402
from auditor.engine.patch import BY_ID, REPLACE, merge_patch  # noqa: E402
from auditor.errors import InputError  # noqa: E402
from auditor.policy import load_policy_file  # noqa: E402


@dataclass(frozen=True)
class Outcome:
    path: Path
    before: int
    after: int
    written: bool
    note: str


def dump(value: Any) -> str:
    """The YAML form the tool writes (flow style for innermost collections, like the library)."""
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=110, default_flow_style=None)


def _size(value: Any) -> int:
    return len(dump(value))


def diff(base: Any, target: Any) -> Any:
    """A merge patch turning ``base`` into ``target``."""
    if isinstance(base, dict) and isinstance(target, dict):
        patch: dict[str, Any] = {}
        for key in base:
            if key not in target:
                patch[key] = None
        for key, value in target.items():
            if key in base and base[key] == value and type(base[key]) is type(value):
                continue
            if value is None:
                patch[key] = {REPLACE: None}  # a plain null would remove the key
                continue
            patch[key] = diff(base[key], value) if key in base else diff(None, value)
        return patch
    if isinstance(target, dict):
        return {REPLACE: copy.deepcopy(target)} if _has_null(target) else copy.deepcopy(target)
    if isinstance(base, list) and isinstance(target, list):
        whole = copy.deepcopy(target)
        by_id = _list_diff(base, target)
        if by_id is not None and _size(by_id) < _size(whole):
            return by_id
        return whole
    return copy.deepcopy(target)


def _has_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, dict):
        return any(_has_null(v) for v in value.values())
    return False  # inside lists, values are replaced whole: null is kept


def _ids(items: list[Any]) -> list[Any] | None:
    if not all(isinstance(i, dict) and isinstance(i.get("id"), str) for i in items):
        return None
    ids = [i["id"] for i in items]
    return ids if len(set(ids)) == len(ids) else None


def _list_diff(base: list[Any], target: list[Any]) -> dict[str, Any] | None:
    base_ids, target_ids = _ids(base), _ids(target)
    if base_ids is None or target_ids is None:
        return None
    by_base = dict(zip(base_ids, base, strict=True))
    patch: dict[str, Any] = {i: None for i in base_ids if i not in target_ids}
    for element in target:
        element_id = element["id"]
        if element_id in by_base:
            if by_base[element_id] == element:
                continue
            patch[element_id] = diff(by_base[element_id], element)
        else:
            rest = {k: v for k, v in element.items() if k != "id"}
            patch[element_id] = {REPLACE: copy.deepcopy(element)} if _has_null(rest) else rest
    out = {BY_ID: patch}
    return out if normal(merge_patch(base, out)) == normal(target) else None


def normal(value: Any) -> Any:
    """``value`` with lists of objects with ids in id order: ``$byId`` keeps the base's order
    (new elements last), and the engine's verdicts do not depend on it (verification checks)."""
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [normal(v) for v in value]
        return sorted(items, key=lambda i: i["id"]) if _ids(items) is not None else items
    return value


def compact_cases(
    cases: list[dict[str, Any]], datas: list[dict[str, Any]]
) -> tuple[Any, list[dict[str, Any]]]:
    """(base data, rewritten cases) with the smallest total size; base None when no base helps."""
    best: tuple[int, Any, list[dict[str, Any]]] = (sum(_size(d) for d in datas), None, cases)
    candidates = {dump(d): d for d in datas if d}
    for base in candidates.values():
        out = []
        for case, data in zip(cases, datas, strict=True):
            patch = diff(base, data)
            if data == base:
                body: dict[str, Any] = {}
            elif normal(merge_patch(base, patch)) == normal(data) and _size(patch) < _size(data):
                body = {"patch": patch}
            else:
                body = {"data": data}
            out.append(_with_body(case, body))
        total = _size(base) + sum(_size(c.get("patch", c.get("data", {}))) for c in out)
        if total < best[0]:
            best = (total, base, out)
    return best[1], best[2]


def _with_body(case: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
    """The case with ``data``/``patch`` replaced by ``body``, keeping the key order."""
    out: dict[str, Any] = {}
    placed = False
    for key, value in case.items():
        if key in ("data", "patch"):
            if not placed:
                out.update(body)
                placed = True
            continue
        if key in ("expect", "subjects") and not placed:
            out.update(body)
            placed = True
        out[key] = value
    if not placed:
        out.update(body)
    return out


def _header(text: str) -> tuple[str, bool]:
    """The leading comment block, and whether comments appear anywhere after it."""
    lines = text.splitlines(keepends=True)
    n = 0
    while n < len(lines) and (lines[n].lstrip().startswith("#") or not lines[n].strip()):
        n += 1
    later = any(line.lstrip().startswith("#") or " #" in line for line in lines[n:])
    return "".join(lines[:n]), later


def _comparable(outcomes: Iterable[CaseOutcome]) -> list[tuple[Any, ...]]:
    return [(o.name, o.passed, o.expected, o.actual, o.problems, o.message) for o in outcomes]


def compact_file(path: Path, *, write: bool = True) -> Outcome:
    text = path.read_text("utf-8")
    header, inner_comments = _header(text)
    before = len(text.encode("utf-8"))
    if inner_comments:
        return Outcome(path, before, before, False, "comments after the header would be lost; left as is")
    doc = yaml.safe_load(text)
    base = (doc.get("base") or {}).get("data") or {}
    cases = doc["cases"]
    datas = [case_data(c, base, lambda m: InputError(m, source=str(path))) for c in cases]
    new_base, new_cases = compact_cases(cases, datas)
    if new_base is None:
        return Outcome(path, before, before, False, "no shared base makes it smaller")
    new_doc = {k: v for k, v in doc.items() if k not in ("base", "cases")}
    new_doc["base"] = {"data": new_base}
    new_doc["cases"] = new_cases
    new_text = header + dump(new_doc)
    after = len(new_text.encode("utf-8"))
    if after >= before:
        return Outcome(path, before, before, False, "the rewrite would not be smaller")
    # Verify 1: every case expands to exactly its old data.
    reread = yaml.safe_load(new_text)
    expanded = [
        case_data(c, reread["base"]["data"], lambda m: InputError(m, source=str(path)))
        for c in reread["cases"]
    ]
    if normal(expanded) != normal(datas):
        return Outcome(path, before, before, False, "VERIFY FAILED: a case expands to different data")
    # Verify 2: the engine gives every case the same outcome.
    policy_file = path.with_name(path.name.removesuffix(".test.yaml") + ".yaml")
    policy = load_policy_file(policy_file)
    with tempfile.TemporaryDirectory() as tmp:
        rewritten = Path(tmp) / path.name
        rewritten.write_text(new_text, "utf-8")
        old = _comparable(run_test_file(path, {policy.id: policy}))
        new = _comparable(run_test_file(rewritten, {policy.id: policy}))
    if old != new:
        return Outcome(path, before, before, False, "VERIFY FAILED: the engine gives different case outcomes")
    if write:
        path.write_text(new_text, "utf-8")
    return Outcome(path, before, after, write, "rewritten" if write else "would be rewritten")


def test_files(paths: Sequence[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        out.extend(sorted(p.rglob("*.test.yaml")) if p.is_dir() else [p])
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("paths", nargs="+", metavar="PATH", help="test files or folders")
    parser.add_argument("--check", action="store_true", help="verify and report, write nothing")
    args = parser.parse_args(argv)
    total_before = total_after = 0
    failed = False
    for path in test_files(args.paths):
        result = compact_file(path, write=not args.check)
        total_before += result.before
        total_after += result.after
        failed |= result.note.startswith("VERIFY FAILED")
        print(f"{path}: {result.before} -> {result.after} bytes: {result.note}")
    if total_before:
        print(f"total: {total_before} -> {total_after} bytes ({100 * total_after / total_before:.0f}%)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
