"""docs/architecture.md's "How to add ..." sections, followed step by step in a copy of the package.

The package, the built-in policies and baselines are copied into a temporary folder; a toy CEL
function (a new domain library registered in ``policy/compile.py`` ``function_table()``), a toy
report format (a module registered in ``report/__init__.py`` and ``api/reportset.py``) and a toy
policy with its test file are added exactly where the sections say; then ``auditor audit --demo
--format toy`` and ``auditor test`` run from the copy in fresh processes. If a section stops being
true (a registration point moves, a step is missing), the toy does not show up and this fails.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

TOY_LIBRARY = '''"""A toy domain library: ``toyShout(s)``, the text in capitals with an exclamation mark."""

from __future__ import annotations

from auditor import cel


def toy_shout(text: str) -> str:
    if not isinstance(text, str):
        raise TypeError("toyShout expects a string")
    return text.upper() + "!"


FUNCTIONS: tuple[cel.Function, ...] = (
    cel.Function("toyShout", toy_shout, (cel.Overload(("string",), "string"),), pure=True),
)


def register(table: cel.FunctionTable) -> None:
    for function in FUNCTIONS:
        table.register(function)
'''

TOY_FORMAT = '''"""toy.txt: one tab-separated line per policy (ID, status, message)."""

from __future__ import annotations

from auditor.report._common import Doc


class ToyFormat:
    name = "toy"
    filename = "toy.txt"

    def render(self, doc: Doc) -> bytes:
        lines = [f"{r['policyId']}\\t{r['status']}\\t{r['message']}" for r in doc["results"]]
        return ("\\n".join(lines) + "\\n").encode("utf-8")
'''

TOY_POLICY = """id: TOY.ORG.SHOUT
title: The organisation is called QUIET (a toy policy for the how-to test)
severity: low
description: The tenant's display name, shouted, is QUIET!.
rationale: Shows that a toy policy, format and function can be added as documented.
remediation: Rename the organisation.
references: [https://example.invalid/toy]
requires: [organization]
assert: size(organization) > 0 && toyShout(organization[0].displayName) == 'QUIET!'
message: "shouted {{ toyShout(organization[0].displayName) }}"
"""

TOY_TESTS = """policy: TOY.ORG.SHOUT
base:
  data:
    organization:
    - {id: '1', displayName: quiet}
cases:
- name: an organisation called quiet passes
  expect: pass
- name: another name fails
  patch:
    organization:
    - {id: '1', displayName: Loud}
  expect: fail
- name: no organisation object fails rather than passing
  patch:
    organization: []
  expect: fail
"""


def _edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there once) in ``path``: the documented registration point."""
    text = path.read_text("utf-8")
    assert text.count(old) == 1, f"{path.name} no longer has {old!r}: update docs/architecture.md"
    path.write_text(text.replace(old, new), "utf-8")


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("howto")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("auditor", "policies", "baselines"):
        shutil.copytree(ROOT / folder, root / folder, ignore=skip)
    pkg = root / "auditor"
    # How to add a CEL function: a domain library whose register() function_table() calls
    (pkg / "coverage" / "toyshout.py").write_text(TOY_LIBRARY, "utf-8")
    compile_py = pkg / "policy" / "compile.py"
    _edit(
        compile_py,
        "from auditor import cel, coverage\n",
        "from auditor import cel, coverage\nfrom auditor.coverage import toyshout\n",
    )
    _edit(
        compile_py,
        "    coverage.register(table)\n",
        "    coverage.register(table)\n    toyshout.register(table)\n",
    )
    # How to add a report format: the module, FORMATS and ON_REQUEST_FORMATS, REPORT_FILES
    (pkg / "report" / "toyfmt.py").write_text(TOY_FORMAT, "utf-8")
    init = pkg / "report" / "__init__.py"
    _edit(
        init,
        "from auditor.report.sarif import SarifFormat\n",
        "from auditor.report.sarif import SarifFormat\nfrom auditor.report.toyfmt import ToyFormat\n",
    )
    _edit(init, "        OcsfFormat(),\n", "        OcsfFormat(),\n        ToyFormat(),\n")
    _edit(
        init,
        'ON_REQUEST_FORMATS: tuple[str, ...] = ("oscal", "xlsx", "ocsf")',
        'ON_REQUEST_FORMATS: tuple[str, ...] = ("oscal", "xlsx", "ocsf", "toy")',
    )
    _edit(
        pkg / "api" / "reportset.py",
        '    "results.intoto.jsonl",\n',
        '    "results.intoto.jsonl",\n    "toy.txt",\n',
    )
    # How to add a policy: two files in policies/<area>/
    area = root / "policies" / "toy"
    area.mkdir()
    (area / "toy-org-shout.yaml").write_text(TOY_POLICY, "utf-8")
    (area / "toy-org-shout.test.yaml").write_text(TOY_TESTS, "utf-8")
    return root


def _auditor(copy: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(copy),
        "XDG_CACHE_HOME": str(copy / "cache"),
        "NO_COLOR": "1",
        "CI": "true",
    }
    return subprocess.run(
        [sys.executable, "-m", "auditor", *args],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_copy_runs_its_own_package(copy: Path) -> None:
    done = _auditor(copy, "--version")
    probe = subprocess.run(
        [sys.executable, "-c", "import auditor; print(auditor.__file__)"],
        cwd=copy,
        env={**os.environ, "PYTHONPATH": str(copy)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.returncode == 0
    assert Path(probe.stdout.strip()).is_relative_to(copy)


def test_a_toy_policy_function_and_format_show_in_the_demo_audit(copy: Path) -> None:
    out = copy / "out"
    done = _auditor(copy, "audit", "--demo", "--format", "json,toy", "--out", str(out))
    assert done.returncode in (0, 1, 3), done.stderr
    assert "Traceback" not in done.stderr
    lines = (out / "toy.txt").read_text("utf-8").splitlines()
    assert "TOY.ORG.SHOUT\tfail\tshouted CONTOSO PHARMA!" in lines
    # the toy format lists every policy the demo audit evaluated, the built-in ones too
    assert len(lines) > 100
    assert any(line.startswith("AAD.APPS.ADMIN-CONSENT-WORKFLOW\t") for line in lines)
    assert sorted(p.name for p in out.iterdir()) == ["results.json", "toy.txt"]
    assert "toy.txt" in done.stdout
    # the toy policy is in the results document every other report renders from
    assert '"TOY.ORG.SHOUT"' in (out / "results.json").read_text("utf-8")


def test_the_toy_format_is_not_written_unless_asked_and_goes_with_the_set(copy: Path) -> None:
    out = copy / "out-default"
    out.mkdir()
    (out / "toy.txt").write_text("a toy report of an earlier run\n", "utf-8")
    done = _auditor(copy, "audit", "--demo", "--format", "json", "--out", str(out))
    assert done.returncode in (0, 1, 3), done.stderr
    # registered in REPORT_FILES: an earlier run's toy report does not outlive its set
    assert sorted(p.name for p in out.iterdir()) == ["results.json"]


def test_the_toy_policy_test_cases_run_with_auditor_test(copy: Path) -> None:
    done = _auditor(copy, "test", "policies/toy/toy-org-shout.yaml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "3 passed" in done.stdout or "3/3" in done.stdout, done.stdout
    broken = copy / "policies" / "toy" / "toy-org-shout.test.yaml"
    broken.write_text(TOY_TESTS.replace("expect: pass", "expect: fail"), "utf-8")
    try:
        failed = _auditor(copy, "test", "policies/toy/toy-org-shout.yaml")
    finally:
        broken.write_text(TOY_TESTS, "utf-8")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "an organisation called quiet passes" in failed.stdout + failed.stderr
