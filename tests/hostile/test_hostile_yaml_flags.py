"""Hostile YAML (policies, baselines, waivers, test files, --param), dates and flags
(issue 9): exit 2 with one line naming the file and place, in bounded time."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.hostile.conftest import MFA_POLICY, assert_input_error, ca_policy, run, write

DATA = {"conditionalAccessPolicies": [ca_policy("p1")]}

#: nine aliases of nine: 9**9 (387 million) strings once expanded
BILLION_LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
)

#: (case id, YAML text, words the error must contain)
HOSTILE_YAML = [
    ("billion-laughs", BILLION_LAUGHS, "yaml-nodes"),
    ("nested-100000-flow", "x: " + "[" * 100_000 + "]" * 100_000, "nested deeper"),
    ("nested-60-block", "x:\n" + "".join("  " * i + "- \n" for i in range(1, 60)), "nested deeper"),
    ("integer-5000-digits", "x: " + "1" * 5000, "digits"),
    ("nan", "x: .nan", "finite"),
    ("infinity", "x: -.inf", "finite"),
    ("lone-surrogate", 'x: "\\ud800"', "surrogate"),
    ("impossible-date", "x: 2027-02-30", "2027-02-30"),
    ("merge-key-bomb", "a: &a {k: 1}\nb: {<<: [*a, *a]}", "merge keys"),
    ("alias-as-key", "a: &a [1, 2]\n? *a\n: 3", "keys must be scalars"),
    ("control-character", "x: bell\x07", "invalid YAML"),
]
IDS = [c[0] for c in HOSTILE_YAML]
CASES = [c[1:] for c in HOSTILE_YAML]


@pytest.fixture
def snap(write_snapshot) -> str:
    return str(write_snapshot(DATA))


def _timed_run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    started = time.monotonic()
    code, out, err = run(capsys, *argv)
    assert time.monotonic() - started < 10, "a hostile file must be refused quickly"
    return code, out + err


@pytest.mark.parametrize(("text", "needle"), CASES, ids=IDS)
def test_hostile_policy_file(tmp_path: Path, snap: str, text: str, needle: str, capsys) -> None:
    policy = write(tmp_path / "p" / "evil.yaml", MFA_POLICY + "\n" + text + "\n")
    code, err = _timed_run(capsys, "audit", snap, "--policies", str(policy), "--out", str(tmp_path / "r"))
    assert_input_error(code, err, "evil.yaml", needle)
    code, err = _timed_run(capsys, "policies", "validate", str(policy))  # a report, not one line
    assert code == 2 and "Traceback" not in err
    unwrapped = err.replace("\n", "")  # rich wraps long paths
    assert "evil.yaml" in unwrapped and needle in unwrapped, err


@pytest.mark.parametrize(("text", "needle"), CASES, ids=IDS)
def test_hostile_baseline_file(tmp_path: Path, snap: str, text: str, needle: str, capsys) -> None:
    base = write(tmp_path / "evil-baseline.yaml", "name: evil\n" + text + "\n")
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    code, err = _timed_run(
        capsys,
        "audit",
        snap,
        "--policies",
        str(policy),
        "--baseline",
        str(base),
        "--out",
        str(tmp_path / "r"),
    )
    assert_input_error(code, err, "evil-baseline.yaml", needle)


@pytest.mark.parametrize(("text", "needle"), CASES, ids=IDS)
def test_hostile_waivers_file(tmp_path: Path, snap: str, text: str, needle: str, capsys) -> None:
    waivers = write(tmp_path / "evil-waivers.yaml", "waivers: []\n" + text + "\n")
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    code, err = _timed_run(
        capsys,
        "audit",
        snap,
        "--policies",
        str(policy),
        "--waivers",
        str(waivers),
        "--out",
        str(tmp_path / "r"),
    )
    assert_input_error(code, err, "evil-waivers.yaml", needle)


@pytest.mark.parametrize(("text", "needle"), CASES, ids=IDS)
def test_hostile_policy_test_file(tmp_path: Path, text: str, needle: str, capsys) -> None:
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    write(tmp_path / "p" / "mfa.test.yaml", "policy: TEST.MFA.ALL\ncases: []\n" + text + "\n")
    code, err = _timed_run(capsys, "test", str(policy))
    assert_input_error(code, err, "mfa.test.yaml", needle)


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ("1" * 5000, "digits"),
        (".nan", "finite"),
        ("[" * 100_000, "invalid YAML"),  # not YAML: kept as text, then refused as the wrong type
        ("&a [*a]", "param"),
        (
            "{a: &a [x,x,x,x,x,x,x,x,x], b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a], c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b], "
            "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c], e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d], f: [*e,*e,*e,*e,*e,*e,*e,*e,*e]}",
            "yaml-nodes",
        ),
    ],
    ids=["integer-5000-digits", "nan", "unclosed-100000", "self-alias", "alias-bomb"],
)
def test_hostile_param_value(tmp_path: Path, snap: str, value: str, needle: str, capsys) -> None:
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    code, err = _timed_run(
        capsys,
        "audit",
        snap,
        "--policies",
        str(policy),
        "--param",
        f"breakGlassAccounts={value}",
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 2 and "Traceback" not in err
    assert "--param" in err or needle in err, err


def test_cel_integer_literal_of_5000_digits_is_a_load_error(tmp_path: Path, snap: str, capsys) -> None:
    policy = write(
        tmp_path / "p" / "big.yaml",
        MFA_POLICY.replace("size(enforcing) > 0", "size(enforcing) > " + "9" * 5000),
    )
    code, err = _timed_run(capsys, "audit", snap, "--policies", str(policy), "--out", str(tmp_path / "r"))
    assert_input_error(code, err, "big.yaml", "integer literal out of range")


WAIVER = """
waivers:
  - policy: TEST.MFA.ALL
    reason: pilot
    owner: secops@example.com
    expires: {expires}
"""


@pytest.mark.parametrize(
    ("expires", "needle"),
    [
        ("2027-02-30", "2027-02-30"),
        ("2027-03-31garbage", "expires must be a date"),
        ('"2027-03-31 is the date"', "expires must be a date"),
        ("2027-13-01", "2027-13-01"),
    ],
    ids=["february-30", "trailing-garbage", "trailing-words", "month-13"],
)
def test_waiver_expiry_must_be_a_real_date(
    tmp_path: Path, snap: str, expires: str, needle: str, capsys
) -> None:
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    waivers = write(tmp_path / "w.yaml", WAIVER.format(expires=expires))
    code, err = _timed_run(
        capsys,
        "audit",
        snap,
        "--policies",
        str(policy),
        "--waivers",
        str(waivers),
        "--out",
        str(tmp_path / "r"),
    )
    assert_input_error(code, err, "w.yaml", needle)


def test_waiver_expiry_as_date_time_is_accepted(tmp_path: Path, snap: str, capsys) -> None:
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    waivers = write(tmp_path / "w.yaml", WAIVER.format(expires="2027-03-31T12:00:00Z"))
    code, _, err = run(
        capsys,
        "audit",
        snap,
        "--policies",
        str(policy),
        "--waivers",
        str(waivers),
        "--out",
        str(tmp_path / "r"),
    )
    assert code == 0, err


@pytest.mark.parametrize("value", ["inf", "nan", "-1", "0", "-inf", "1e999", "soon"])
def test_policy_timeout_must_be_positive_and_finite(snap: str, value: str, capsys) -> None:
    code, _, err = run(capsys, "audit", snap, f"--policy-timeout={value}")
    assert_input_error(code, err, "--policy-timeout")


@pytest.mark.parametrize(
    "value", ["nope", "json-depth", "json-depth=0", "json-depth=inf", "json-depth=nan", "eval-elements=-5"]
)
def test_bad_limit_flag_exits_2(snap: str, value: str, capsys) -> None:
    code, _, err = run(capsys, "audit", snap, "--limit", value)
    assert_input_error(code, err, "--limit")


def test_out_pointing_at_an_existing_file(tmp_path: Path, snap: str, capsys) -> None:
    target = tmp_path / "taken"
    target.write_text("not a folder")
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    code, _, err = run(capsys, "audit", snap, "--policies", str(policy), "--out", str(target))
    assert_input_error(code, err, "--out", "not a folder")
    assert target.read_text() == "not a folder"


def test_out_inside_a_file_or_unwritable_folder(tmp_path: Path, snap: str, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    code, _, err = run(capsys, "audit", snap, "--policies", str(policy), "--out", str(blocker / "reports"))
    assert_input_error(code, err, "--out", "cannot write reports")
    code, _, err = run(capsys, "audit", snap, "--policies", str(policy), "--out", "/proc/auditor-reports")
    assert_input_error(code, err, "--out", "cannot write reports")


@pytest.mark.parametrize("flag", ["--timeout", "--time-budget"])
@pytest.mark.parametrize("value", ["inf", "nan", "0", "-3"])
def test_collect_time_bounds_must_be_positive_and_finite(
    tmp_path: Path, flag: str, value: str, capsys
) -> None:
    code, _, err = run(
        capsys, "collect", "--out", str(tmp_path / "s.json"), "--auth", "token", f"{flag}={value}"
    )
    assert_input_error(code, err, flag)


@pytest.mark.parametrize("value", ["\udcff", "[\udcff]"], ids=["bare", "in-a-list"])
def test_param_bytes_that_are_not_utf8(tmp_path: Path, snap: str, value: str, capsys) -> None:
    # Python hands undecodable command-line bytes over as lone surrogates
    policy = write(tmp_path / "p" / "mfa.yaml", MFA_POLICY)
    code, _, err = run(
        capsys, "audit", snap, "--policies", str(policy), "--param", f"breakGlassAccounts={value}"
    )
    assert_input_error(code, err, "--param", "not valid UTF-8")
