"""Property tests over every reader (issue 9): whatever a file or flag holds, auditor
exits 0-3, never prints a traceback, and never passes a policy whose data was damaged.

Inputs are valid documents mutated by hypothesis — hostile snippets spliced in, slices
cut or repeated, text truncated — plus structured damage to a passing snapshot.
Examples are modest (CI time), the deadline is off (some cases are refused by a budget).
"""

from __future__ import annotations

import contextlib
import io
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.cli import main
from tests.hostile.conftest import MFA_POLICY, ca_policy, snapshot_doc

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)

SNIPPETS = [
    "[" * 300,
    "{" * 300,
    "1" * 5000,
    "-" + "9" * 50,
    "NaN",
    "-Infinity",
    "1e999",
    '"\\ud800"',
    '"\\udfff"',
    '"a": 1, "a": 2',
    "&a [*a, *a]",
    "*undefined",
    "<<: *a",
    "!!python/object/apply:os.system ['true']",
    "!!binary AAAA",
    ".nan",
    ".inf",
    "2027-02-30",
    "2027-03-31garbage",
    "\x00",
    "\x1b[2J",
    "\u202e",
    "\ufeff",
    "\t",
    "'",
    '"',
    "\\",
    ": ",
    "- ",
    "\n  - ",
    "\n",
    "{{",
    "}}",
    "size(",
    "1 / 0",
    "[1,2,3].map(x, [1,2,3].map(y, [1,2,3]))",
    "'a' * 3",
    "timestamp('9999-99-99')",
    "duration('99999999999999999h')",
]


@st.composite
def mutated(draw: st.DrawFn, text: str) -> str:
    """``text`` after one to three mutations."""
    for _ in range(draw(st.integers(1, 3))):
        n = len(text)
        at = draw(st.integers(0, n))
        kind = draw(st.sampled_from(["insert", "replace", "delete", "truncate", "repeat", "random"]))
        if kind == "insert":
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[at:]
        elif kind == "replace":
            end = draw(st.integers(at, min(n, at + 40)))
            text = text[:at] + draw(st.sampled_from(SNIPPETS)) + text[end:]
        elif kind == "delete":
            end = draw(st.integers(at, min(n, at + 40)))
            text = text[:at] + text[end:]
        elif kind == "truncate":
            text = text[:at]
        elif kind == "repeat":
            end = draw(st.integers(at, min(n, at + 60)))
            text = text[:end] + text[at:end] * draw(st.integers(2, 50)) + text[end:]
        else:
            text = text[:at] + draw(st.text(max_size=20)) + text[at:]
    return text


GOOD_SNAPSHOT = json.dumps(snapshot_doc({"conditionalAccessPolicies": [ca_policy("p1")]}), indent=1)
GOOD_TEST_FILE = """policy: TEST.MFA.ALL
cases:
  - name: one policy requiring MFA passes
    data: {conditionalAccessPolicies: [{id: a, displayName: a, state: enabled, grantControls: {builtInControls: [mfa]}}]}
    expect: pass
  - name: no policy fails
    data: {conditionalAccessPolicies: []}
    expect: fail
"""
GOOD_BASELINE = """name: gate
title: A gate
policies: {include: ["TEST.*"], exclude: []}
params: {breakGlassAccounts: ["a"]}
failOn: high
waivers:
  - policy: TEST.MFA.ALL
    reason: pilot
    owner: secops@example.com
    expires: 2027-03-31
"""
GOOD_WAIVERS = """waivers:
  - policy: TEST.MFA.ALL
    reason: pilot
    owner: secops@example.com
    expires: 2027-03-31
"""
GOOD_CEL = "conditionalAccessPolicies.filter(p, p.state == 'enabled' && 'mfa' in p.grantControls.builtInControls).size() > 0"


@contextlib.contextmanager
def workspace() -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as d:
        root = Path(d)
        (root / "snap.json").write_text(GOOD_SNAPSHOT, encoding="utf-8")
        (root / "p").mkdir()
        (root / "p" / "mfa.yaml").write_text(MFA_POLICY.lstrip(), encoding="utf-8")
        yield root


def cli(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(argv))
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue() + err.getvalue()


def check(code: int, text: str) -> None:
    assert code in (0, 1, 2, 3), (code, text[-2000:])
    assert "Traceback" not in text, text[-2000:]


def audit(root: Path, *extra: str) -> tuple[int, str]:
    return cli(
        "audit",
        str(root / "snap.json"),
        "--policies",
        str(root / "p"),
        "--out",
        str(root / "r"),
        "--format",
        "json",
        "-q",
        "--policy-timeout",
        "5",
        *extra,
    )


def write_bytes(path: Path, text: str) -> None:
    path.write_bytes(text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(mutated(GOOD_SNAPSHOT))
def test_any_snapshot_text(text: str) -> None:
    with workspace() as root:
        write_bytes(root / "snap.json", text)
        check(*audit(root))
        check(*cli("diff", str(root / "snap.json"), str(root / "snap.json")))


@SETTINGS
@given(mutated(MFA_POLICY.lstrip()))
def test_any_policy_text(text: str) -> None:
    with workspace() as root:
        write_bytes(root / "p" / "mfa.yaml", text)
        check(*audit(root))
        check(*cli("policies", "validate", str(root / "p")))


@SETTINGS
@given(mutated(GOOD_TEST_FILE))
def test_any_policy_test_file(text: str) -> None:
    with workspace() as root:
        write_bytes(root / "p" / "mfa.test.yaml", text)
        check(*cli("test", str(root / "p" / "mfa.yaml")))


@SETTINGS
@given(mutated(GOOD_BASELINE))
def test_any_baseline_text(text: str) -> None:
    with workspace() as root:
        write_bytes(root / "b.yaml", text)
        check(*audit(root, "--baseline", str(root / "b.yaml")))


@SETTINGS
@given(mutated(GOOD_WAIVERS))
def test_any_waivers_text(text: str) -> None:
    with workspace() as root:
        write_bytes(root / "w.yaml", text)
        check(*audit(root, "--waivers", str(root / "w.yaml")))


@SETTINGS
@given(mutated(GOOD_CEL))
def test_any_cel_source(source: str) -> None:
    with workspace() as root:
        text = MFA_POLICY.lstrip().replace('assert: "size(enforcing) > 0"', "assert: " + json.dumps(source))
        write_bytes(root / "p" / "mfa.yaml", text)
        check(*audit(root))


@SETTINGS
@given(st.one_of(mutated('["00000000-0000-0000-0000-000000000001"]'), st.text(max_size=200)))
def test_any_param_value(value: str) -> None:
    with workspace() as root:
        check(*audit(root, "--param", f"breakGlassAccounts={value}"))
        check(*audit(root, "--param", value))


# -- damaged data never passes ------------------------------------------------------------

DAMAGE = st.sampled_from(
    ["status", "missing", "wrong-type", "garbage-item", "drop-field", "null-field", "wrong-field-type"]
)
JUNK = st.one_of(
    st.none(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5), st.just([]), st.just({})
)


@SETTINGS
@given(
    DAMAGE,
    st.sampled_from(["error", "forbidden", "not_licensed", "not_supported"]),
    JUNK,
    st.sampled_from(["state", "grantControls"]),
)
def test_damaged_data_is_never_a_pass(damage: str, status: str, junk: Any, field: str) -> None:
    doc = snapshot_doc({"conditionalAccessPolicies": [ca_policy("p1")]})
    policies = doc["data"]["conditionalAccessPolicies"]
    if damage == "status":
        doc["sources"]["conditionalAccessPolicies"] = {"status": status, "endpoint": "GET /x", "error": "e"}
    elif damage == "missing":
        del doc["data"]["conditionalAccessPolicies"]
    elif damage == "wrong-type":
        doc["data"]["conditionalAccessPolicies"] = {"value": policies}
    elif damage == "garbage-item":
        policies[0] = junk
    elif damage == "drop-field":
        del policies[0][field]
    elif damage == "null-field":
        policies[0][field] = None
    else:
        policies[0][field] = junk if not isinstance(junk, str) or junk != "enabled" else 7
    with workspace() as root:
        (root / "snap.json").write_text(json.dumps(doc), encoding="utf-8")
        code, text = audit(root)
        check(code, text)
        assert code != 0, f"{damage}: damaged data passed the gate\n{text}"
        if code != 2:
            result = json.loads((root / "r" / "results.json").read_text("utf-8"))["results"][0]
            assert result["status"] in ("error", "fail"), (damage, result["status"], result["message"])
