"""``--redact`` against every character Entra allows in a user principal name (issue 20).

Entra's username policy ("Username policies" in
https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy) allows
A–Z, a–z, 0–9 and ``' . - _ ! # ^ ~`` before the ``@``; guests get
``local_theirdomain#EXT#@tenant.onmicrosoft.com``. Each value the snapshot holds for a principal
must be gone from all six reports and the console, whole and in part; addresses nobody indexed
are caught by a pattern over the same characters.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import string
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from auditor.results.redact import Redactor
from tests.hostile.conftest import run, write

KEY = "redaction-key-for-tests-0123456789"
DOMAINS = [{"id": "contoso.com"}, {"id": "contoso.onmicrosoft.com"}]

#: one user per legal character class of the local part, plus a guest and a plus-address mail
PEOPLE: list[dict[str, Any]] = [
    {"upn": "Quentin.Uppwood@contoso.com", "name": "Quentin Uppwood", "mail": "quentin.uppwood@contoso.com"},
    {
        "upn": "ramonique.digits4711@contoso.com",
        "name": "Ramonique Digits",
        "mail": "ramonique+news@contoso.com",
    },
    {"upn": "o'sullivan.siobhan@contoso.com", "name": "Siobhan O'Sullivan", "mail": None},
    {"upn": "tobiaszek-hyphen@contoso.com", "name": "Tobiaszek Hyphen-Smythe", "mail": None},
    {"upn": "ullabeth_underscore@contoso.com", "name": "Ullabeth Underscore", "mail": None},
    {"upn": "marc!archer@contoso.com", "name": "Marc Archer", "mail": "marc.archer@contoso.com"},
    {"upn": "vexhilda#hash@contoso.com", "name": "Vexhilda Hash", "mail": None},
    {"upn": "wolfrik^caret@contoso.com", "name": "Wolfrik Caret", "mail": None},
    {"upn": "xenodora~tilde@contoso.com", "name": "Xenodora Tilde", "mail": None},
    {
        "upn": "alice.smith_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "name": "Alice Smith (Fabrikam)",
        "mail": "alice.smith@fabrikam.com",
    },
    {"upn": "ygritte'.^~!#_-9@contoso.com", "name": "Ygritte | [x](y) `z`", "mail": None},
]

#: parts of the values that must not survive either (a redaction that keeps ``marc!`` leaks)
FRAGMENTS = [
    "Quentin",
    "Uppwood",
    "Ramonique",
    "digits4711",
    "news",
    "Siobhan",
    "sullivan",
    "Tobiaszek",
    "Smythe",
    "Ullabeth",
    "underscore",
    "Marc",
    "archer",
    "Vexhilda",
    "hash@",
    "Wolfrik",
    "caret",
    "Xenodora",
    "tilde",
    "alice",
    "smith",
    "fabrikam",
    "#EXT#",
    "Ygritte",
]

POLICY = """
id: TEST.REDACT.EVERYONE
title: Every user is listed
severity: high
description: d
rationale: r
remediation: r
requires: [users]
forEach: "users"
as: u
subject: "u.userPrincipalName"
assert: "false"
message: >-
  {{ u.displayName }} ({{ u.userPrincipalName }}; mail={{ u.mail }}; owner={{ u.userPrincipalName }},
  '{{ u.userPrincipalName }}') and "{{ u.displayName }}"'s mailbox <{{ u.mail }}>
"""


def _users() -> list[dict[str, Any]]:
    out = []
    for i, p in enumerate(PEOPLE):
        out.append(
            {
                "id": f"{i:08d}-1111-2222-3333-444444444444",
                "userPrincipalName": p["upn"],
                "displayName": p["name"],
                "mail": p["mail"],
                "proxyAddresses": [f"SMTP:{p['mail']}"] if p["mail"] else [],
            }
        )
    return out


def _views(path: Path) -> list[str]:
    """A report's text as written and as a reader sees it decoded (entities, escapes, JSON)."""
    raw = path.read_text("utf-8-sig")
    views = [raw, html.unescape(raw), re.sub(r"\\(.)", r"\1", html.unescape(raw))]
    if path.suffix in (".json", ".sarif"):
        views.append(json.dumps(json.loads(raw), ensure_ascii=False))
    if path.suffix == ".csv":
        views.append("\n".join("\t".join(row) for row in csv.reader(io.StringIO(raw))))
    if path.suffix == ".html":  # the embedded results document, decoded
        m = re.search(r'<script type="application/json" id="auditor-results"[^>]*>(.*?)</script>', raw, re.S)
        assert m, "report.html embeds the results document"
        views.append(json.dumps(json.loads(m.group(1)), ensure_ascii=False))
    return views


def _secrets() -> list[str]:
    values = (
        [p["upn"] for p in PEOPLE] + [p["name"] for p in PEOPLE] + [p["mail"] for p in PEOPLE if p["mail"]]
    )
    return values + FRAGMENTS


def test_every_legal_upn_character_class_is_redacted_in_every_output(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    monkeypatch.setenv("AUDITOR_REDACT_KEY", KEY)
    snap = tmp_path / "snap.json"
    from tests.spine.conftest import snapshot_doc

    doc = snapshot_doc({"users": _users(), "domains": DOMAINS})
    doc["tenant"].update(displayName="Contoso", defaultDomain="contoso.onmicrosoft.com")
    snap.write_text(json.dumps(doc), encoding="utf-8")
    pol = write(tmp_path / "p" / "everyone.yaml", POLICY)
    out = tmp_path / "r"
    code, stdout, err = run(
        capsys, "audit", str(snap), "--policies", str(pol), "--out", str(out), "--redact", "-v"
    )
    assert code == 1, err
    files = sorted(out.iterdir())
    assert {f.name for f in files} >= {
        "results.json",
        "results.sarif",
        "results.junit.xml",
        "summary.md",
        "findings.csv",
        "report.html",
    }
    doc = json.loads((out / "results.json").read_text("utf-8"))
    assert len(doc["results"][0]["findings"]) == len(PEOPLE)  # every person is in the reports
    texts = {f.name: _views(f) for f in files}
    texts["console"] = [stdout + err]
    for where, views in texts.items():
        for secret in _secrets():
            for view in views:
                assert secret.casefold() not in view.casefold(), f"{secret!r} leaks into {where}"
    # the organisation's domain stays readable, the guest's home domain does not
    assert "@contoso.com" in texts["results.json"][0]
    assert ".invalid" in texts["results.json"][0]


def test_guest_upn_and_bang_upn_are_replaced_whole_by_the_pattern_too() -> None:
    """Addresses nobody indexed (another tenant's user quoted in a message) use the pattern."""
    r = Redactor(KEY.encode(), {"domains": DOMAINS})
    for upn in ("alice.smith_fabrikam.com#EXT#@contoso.onmicrosoft.com", "marc!archer@contoso.com"):
        out = r.text(f"user {upn} lacks MFA")
        assert upn.split("@")[0] not in out and "marc" not in out and "EXT" not in out, out
        assert re.fullmatch(r"user u-[0-9a-f]{10}@contoso(\.onmicrosoft)?\.com lacks MFA", out), out


def test_quoted_addresses_keep_their_quotes_and_lose_the_person() -> None:
    r = Redactor(KEY.encode(), {})
    out = r.text("'o'brien@contoso.com' and (x^y@contoso.com).")
    assert (
        out.startswith("'u-") and "brien" not in out and "x^y" not in out and out.endswith("@contoso.com).")
    )


def test_names_are_whole_tokens_and_case_sensitive_addresses_are_not() -> None:
    r = Redactor(
        KEY.encode(),
        {"users": [{"displayName": "Jan", "userPrincipalName": "Jan.B@contoso.com"}], "domains": DOMAINS},
    )
    assert r.text("Janet and jan") == "Janet and jan"  # neither is the name Jan
    assert "Jan." not in r.text("JAN.B@CONTOSO.COM and Jan.B@contoso.com") and r.text(
        "JAN.B@CONTOSO.COM"
    ).startswith("u-")


def test_service_principals_groups_and_nested_principals_are_indexed() -> None:
    data = {
        "servicePrincipals": [{"id": "sp1", "displayName": "Payroll Export (Kim Lee)"}],
        "groups": [{"id": "g1", "displayName": "Kim's team", "mail": "kims-team@contoso.com"}],
        "roleAssignments": [
            {"principal": {"userPrincipalName": "kim.lee@contoso.com", "displayName": "Kim Lee"}}
        ],
        "conditionalAccessPolicies": [{"displayName": "Require MFA"}],
    }
    r = Redactor(KEY.encode(), data)
    out = r.text("Payroll Export (Kim Lee) is owned by Kim Lee of Kim's team; Require MFA")
    assert "Kim" not in out and "Payroll" not in out
    assert out.startswith("App ") and "Group " in out and "Person " in out
    assert out.endswith("; Require MFA")  # a policy's name is not personal data


# -- generated values -------------------------------------------------------------------------

UPN_FIRST = string.ascii_letters + string.digits + "-_!#^~"
UPN_REST = UPN_FIRST + "'."
_PSEUDONYMS = re.compile(r"(?:Person|Group|App) [0-9a-f]{8}|u-[0-9a-f]{10}@[\w.-]+")
TEMPLATES = ["{v}", "user {v} lacks MFA", "owner={v};", "'{v}'", "({v}).", "<{v}>", '"{v}"s', "[{v}]"]


def _without_pseudonyms(text: str) -> str:
    return _PSEUDONYMS.sub("", text)


local_parts = st.builds(
    lambda a, b: a + b, st.sampled_from(UPN_FIRST), st.text(alphabet=UPN_REST, min_size=0, max_size=30)
)
domains = st.sampled_from(["contoso.com", "contoso.onmicrosoft.com", "fabrikam.com", "sub.contoso.com"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(local=local_parts, domain=domains, template=st.sampled_from(TEMPLATES), guest=st.booleans())
def test_generated_upns_never_survive_exact_or_by_pattern(
    local: str, domain: str, template: str, guest: bool
) -> None:
    if guest:
        local = f"{local}_fabrikam.com#EXT#"
    upn = f"{local}@{domain}"
    for indexed in (True, False):
        data: dict[str, Any] = {"domains": DOMAINS}
        if indexed:
            data["users"] = [{"userPrincipalName": upn, "displayName": "Someone Else"}]
        r = Redactor(KEY.encode(), data)
        text = template.format(v=upn)
        out = _without_pseudonyms(r.text(text))
        assert upn not in out and upn.casefold() not in out.casefold(), (indexed, text, out)
        core = local.strip("'.")
        if len(core) >= 3:
            assert core not in out, (indexed, text, out)


names = st.text(min_size=2, max_size=40).filter(lambda s: len(s.strip()) >= 2)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=names,
    template=st.sampled_from(TEMPLATES),
    kind=st.sampled_from(["users", "groups", "servicePrincipals"]),
)
def test_generated_display_names_never_survive_whatever_they_hold(
    name: str, template: str, kind: str
) -> None:
    """Any display name, with any characters (punctuation, Markdown, controls, other scripts)."""
    text = template.format(v=name)
    assume(" ".join(name.split()) not in _without_pseudonyms(template.format(v="")))
    r = Redactor(KEY.encode(), {kind: [{"id": "x1", "displayName": name}]})
    out = _without_pseudonyms(r.text(text))
    assert " ".join(name.split()) not in " ".join(out.split()), (text, out)
    # deterministic: the same key gives the same pseudonym
    assert r.text(text) == Redactor(KEY.encode(), {kind: [{"id": "x1", "displayName": name}]}).text(text)


@pytest.mark.parametrize("char", list("'.-_!#^~+"))
def test_each_legal_special_character_inside_a_local_part_by_pattern(char: str) -> None:
    r = Redactor(KEY.encode(), {})
    upn = f"first{char}last@contoso.com"
    out = r.text(f"see {upn}, now")
    assert "first" not in out and "last" not in out and out.startswith("see u-") and out.endswith(", now")


def test_warnings_on_stderr_are_redacted_too(tmp_path: Path, capsys, monkeypatch) -> None:
    """A subject waiver naming nobody is reported with the name it gives: redacted with --redact."""
    monkeypatch.setenv("AUDITOR_REDACT_KEY", KEY)
    from tests.spine.conftest import snapshot_doc

    snap = tmp_path / "snap.json"
    snap.write_text(json.dumps(snapshot_doc({"users": _users(), "domains": DOMAINS})), encoding="utf-8")
    pol = write(tmp_path / "p" / "everyone.yaml", POLICY)
    waivers = write(
        tmp_path / "w.yaml",
        """
        waivers:
          - policy: TEST.REDACT.EVERYONE
            subjects: ["marc!archer@contoso.com", "gone.person#EXT#@contoso.onmicrosoft.com"]
            reason: r
            owner: xenodora~tilde@contoso.com
            expires: 2099-01-01
        """,
    )
    args = [
        "audit",
        str(snap),
        "--policies",
        str(pol),
        "--waivers",
        str(waivers),
        "--out",
        str(tmp_path / "r"),
    ]
    code, out, err = run(capsys, *args, "--redact", "-v")
    assert code == 1 and "not among its" in err, err  # the warning is there...
    for secret in ("gone.person", "marc!archer", "xenodora", "tilde"):
        assert secret not in out + err  # ...without the names it quotes
    code, _, err = run(capsys, *args, "-q")
    assert "gone.person#EXT#@contoso.onmicrosoft.com" in err  # unredacted runs still say who
