"""Framework data, mappings, CIS baselines and coverage: one set of numbers everywhere.

The data files (``auditor/data/frameworks/*.json``) are validated against their schema and their
published sizes; every mapping of the built-in library names a control its framework defines; the
CIS baselines, the README table and the data are the generators' output; and ``auditor policies
list``, the HTML report and the Markdown summary print the same coverage for the same policies.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import warnings
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from auditor.baseline import bind, builtin_baselines, load_baseline
from auditor.cli import main
from auditor.cli.policies import FRAMEWORKS
from auditor.errors import AuditWarning
from auditor.policy import load_library
from auditor.policy.compile import KNOWN_FRAMEWORKS
from auditor.policy.frameworks import (
    Control,
    Framework,
    coverage,
    coverage_text,
    framework_schema,
    load_frameworks,
)

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "auditor" / "data" / "frameworks"
PROWLER_COMMIT = "3e000faa3109230b748e4418a13c11c9e59f5cfb"


def _tool(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def library():
    return load_library()


# --- the data -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(DATA.glob("*.json")), ids=lambda p: p.stem)
def test_framework_file_matches_the_schema_and_its_name(path: Path) -> None:
    doc = json.loads(path.read_text("utf-8"))
    jsonschema.validate(doc, framework_schema())
    assert doc["key"] == path.stem
    ids = [c["id"] for c in doc["controls"]]
    assert len(ids) == len(set(ids)), "duplicate control IDs"


def test_framework_schema_rejects_a_control_without_id() -> None:
    doc = json.loads((DATA / "cis-m365-v7.json").read_text("utf-8"))
    doc["controls"][0].pop("id")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, framework_schema())
    doc = json.loads((DATA / "cis-m365-v7.json").read_text("utf-8"))
    doc["controls"][0]["profile"] = "E7 Level 9"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, framework_schema())


def test_cis_versions_have_their_published_sizes_and_source() -> None:
    frameworks = load_frameworks()
    for key, size in (("cis-m365-v7", 160), ("cis-m365-v6", 140)):
        fw = frameworks[key]
        assert len(fw.controls) == size and fw.complete
        assert fw.source["repository"] == "prowler-cloud/prowler"
        assert fw.source["commit"] == PROWLER_COMMIT and fw.source["licence"] == "Apache-2.0"
        details = [fw.control(c) for c in fw.controls]
        assert all(c.title and c.section and c.level in (1, 2) and c.automated is not None for c in details)
        assert all(c.profile.endswith(f"Level {c.level}") for c in details)
    v7 = frameworks["cis-m365-v7"]
    # recommendations new in v7 (token protection, authentication transfer, DLP for Copilot)
    assert {"5.2.2.16", "5.2.2.17", "3.2.3"} <= set(v7.controls)
    assert v7.control("5.2.2.16").profile == "E3 Level 2"
    # v6 and v7 differ in numbering: v6's 5.1.3.2 (security groups) is v7's 5.1.3.1
    assert "security groups" in frameworks["cis-m365-v6"].control("5.1.3.2").title
    assert "security groups" in v7.control("5.1.3.1").title


def test_scuba_has_109_policies_in_seven_products() -> None:
    fw = load_frameworks()["cisa-scuba"]
    assert len(fw.controls) == 109 and fw.source["repository"] == "cisagov/ScubaGear"
    sections: dict[str, int] = {}
    for cid in fw.controls:
        sections[fw.control(cid).section] = sections.get(fw.control(cid).section, 0) + 1
    assert sections == {
        "Microsoft Entra ID": 34,
        "Exchange Online": 12,
        "Power BI": 8,
        "Power Platform": 9,
        "Security Suite": 24,
        "SharePoint Online and OneDrive": 8,
        "Teams": 14,
    }
    assert fw.control("MS.AAD.1.1v1").title == "Legacy authentication SHALL be blocked."
    assert all(re.fullmatch(r"MS\.[A-Z]+\.\d+\.\d+v\d+", c) for c in fw.controls)


def test_nist_is_the_mapped_controls_only(library) -> None:
    fw = load_frameworks()["nist-800-53"]
    assert not fw.complete
    mapped = {c for p in library for c in p.frameworks.get("nist-800-53", ())}
    assert set(fw.controls) == mapped, "run python tools/gen_frameworks.py"
    assert (
        json.loads((DATA / "nist-800-53.json").read_text("utf-8")) == _tool("gen_frameworks").nist_framework()
    )


def test_reports_show_a_cis_id_shared_by_two_versions_once() -> None:
    from auditor.report._common import framework_ids

    result = {"frameworks": {"cis-m365-v6": ["5.2.2.3"], "cis-m365-v7": ["5.2.2.3", "5.1.5.3"], "x": ["A"]}}
    assert framework_ids(result) == ["5.2.2.3", "5.1.5.3", "A"]  # type: ignore[arg-type]


def test_known_framework_lists_match_the_data() -> None:
    assert set(KNOWN_FRAMEWORKS) == set(load_frameworks()) == set(FRAMEWORKS)


# --- the mappings ---------------------------------------------------------------------------


def test_every_mapped_control_exists_in_its_framework(library) -> None:
    frameworks = load_frameworks()
    unknown = [
        f"{p.id}: {key} {cid}"
        for p in library
        for key, ids in p.frameworks.items()
        for cid in ids
        if key not in frameworks or cid not in frameworks[key].catalogue
    ]
    assert unknown == []


def test_cis_mappings_cover_v7_wherever_v6_is_mapped(library) -> None:
    """Every v6 recommendation the library judges still exists in v7, so a policy mapped to v6
    is mapped to v7 too (the reverse is not true: v7 adds recommendations)."""
    missing = [p.id for p in library if "cis-m365-v6" in p.frameworks and "cis-m365-v7" not in p.frameworks]
    assert missing == []


# --- coverage: one definition ---------------------------------------------------------------


class _P:
    def __init__(self, frameworks: dict[str, tuple[str, ...]], manual: bool = False) -> None:
        self.frameworks = frameworks
        self.is_manual = manual


def test_coverage_counts_automated_and_manual_once() -> None:
    fw = Framework("x", "X", ("1", "2", "3", "4"), catalogue={c: Control(c) for c in "1234"})
    mapped_only = Framework("y", "Y", ("A", "B"), complete=False)
    policies = [
        _P({"x": ("1", "2"), "y": ("A",)}),
        _P({"x": ("2", "3"), "y": ("B",)}, manual=True),  # 2 is automated by the first policy
        _P({"x": ("9",)}),  # not a control of x: reported, never counted
    ]
    by_key = {c.framework.key: c for c in coverage(policies, {"x": fw, "y": mapped_only})}
    x, y = by_key["x"], by_key["y"]
    assert x.automated == {"1", "2"} and x.manual_only == {"3"} and x.unknown == {"9"}
    assert x.not_covered == ("4",)
    assert coverage_text(x) == "2/4 controls automated, 1 manual"
    assert coverage_text(y) == "2 controls mapped (1 manual)"  # never "2/2"


def _cli_coverage(capsys: pytest.CaptureFixture[str]) -> dict[str, tuple[str, str]]:
    assert main(["policies", "list"]) == 0
    out = capsys.readouterr().out
    block = out[out.index("Coverage per framework version") :].splitlines()[1:]
    found: dict[str, tuple[str, str]] = {}
    key = ""
    for line in block:
        head = re.fullmatch(r"  ([a-z0-9-]+): (.*?) — .*", line)
        if head:
            key = head.group(1)
            found[key] = (head.group(2), "")
        elif line.startswith("    manual: "):
            found[key] = (found[key][0], line.removeprefix("    manual: "))
    return found


def test_coverage_is_identical_in_cli_html_and_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], library
) -> None:
    cli = _cli_coverage(capsys)
    assert set(cli) == set(load_frameworks())
    main(["audit", "--demo", "--format", "json,markdown,html", "--out", str(tmp_path)])
    capsys.readouterr()
    doc = json.loads((tmp_path / "results.json").read_text("utf-8"))
    assert {r["policyId"] for r in doc["results"]} == {p.id for p in library}  # the same policies
    summary = (tmp_path / "summary.md").read_text("utf-8")
    page = (tmp_path / "report.html").read_text("utf-8")
    for key, (text, manual) in cli.items():
        md = re.search(rf"^- `{re.escape(key)}`: (.*?)(?: \(manual: (.*)\))?$", summary, re.M)
        assert md is not None, key
        assert (md.group(1), md.group(2) or "") == (text, manual)
        html = re.search(rf'<tr><td><b>{re.escape(key)}</b><div class="small">(.*?)</div>', page)
        assert html is not None and html.group(1) == text, key
        if manual:
            assert f'<div class="small">manual: {manual}</div>' in page
    scuba = cli["cisa-scuba"][0]
    assert re.fullmatch(r"\d+/109 controls automated, \d+ manual", scuba)
    assert cli["nist-800-53"][0].endswith("controls mapped (all automated)")


# --- baselines ------------------------------------------------------------------------------


def test_cis_baselines_are_the_generator_output() -> None:
    gen = _tool("gen_cis_baselines")
    for key in gen.VERSIONS:
        for level in (1, 2):
            path = ROOT / "baselines" / f"{key}-l{level}.yaml"
            assert path.read_text("utf-8") == gen.render(key, level), (
                f"run tools/gen_cis_baselines.py ({path.name})"
            )


@pytest.mark.parametrize("key", ["cis-m365-v7", "cis-m365-v6"])
def test_cis_baselines_select_the_policies_of_their_level(key: str, library) -> None:
    fw = load_frameworks()[key]
    mapped = {p.id: {fw.control(c).level for c in p.frameworks.get(key, ())} for p in library}
    l1, l2 = load_baseline(f"{key}-l1"), load_baseline(f"{key}-l2")
    for baseline in (l1, l2):
        bind(baseline, library)
    selected1 = {p.id for p in library if l1.selects(p.id)}
    selected2 = {p.id for p in library if l2.selects(p.id)}
    assert selected1 == {pid for pid, levels in mapped.items() if 1 in levels}
    assert selected2 == {pid for pid, levels in mapped.items() if levels}
    assert selected1 < selected2
    assert l1.params["allowedSharingCapabilities"] == [0, 1, 3] and l2.fail_on == "high"


def test_retired_v5_baselines_run_v7_with_a_warning() -> None:
    assert not {"cis-m365-v5-l1", "cis-m365-v5-l2"} & set(builtin_baselines())
    for level in (1, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            baseline = load_baseline(f"cis-m365-v5-l{level}")
        assert baseline.name == f"cis-m365-v7-l{level}"
        (warning,) = [w for w in caught if issubclass(w.category, AuditWarning)]
        assert "retired" in str(warning.message) and f"cis-m365-v7-l{level}" in str(warning.message)


def test_policies_list_names_a_retired_framework(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policies", "list", "--framework", "cis-m365-v5"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "'cis-m365-v5' is retired" in err and "cis-m365-v7" in err


def test_retired_framework_key_is_not_taken_for_a_typo(tmp_path: Path) -> None:
    """A user's policy may still say cis-m365-v5: accepted (no coverage), not a load error."""
    (tmp_path / "mine.yaml").write_text(
        "id: ORG.MINE\ntitle: Mine\nseverity: low\ndescription: d\nrationale: r\nremediation: x\n"
        "frameworks: {cis-m365-v5: ['5.2.2.3'], cis-m365-v8: ['1']}\n"
        "requires: [users]\nassert: 'size(users) >= 0'\n",
        encoding="utf-8",
    )
    with pytest.raises(Exception, match=r"unknown framework 'cis-m365-v8'"):
        load_library([str(tmp_path)])
    (tmp_path / "mine.yaml").write_text(
        (tmp_path / "mine.yaml").read_text("utf-8").replace(", cis-m365-v8: ['1']", ""), encoding="utf-8"
    )
    (policy,) = load_library([str(tmp_path)])
    assert policy.frameworks["cis-m365-v5"] == ("5.2.2.3",)


# --- the README and the generators ----------------------------------------------------------


def test_readme_coverage_table_is_the_generator_output() -> None:
    gen = _tool("gen_coverage_readme")
    text = (ROOT / "README.md").read_text("utf-8")
    assert gen.render(text) == text, "run python tools/gen_coverage_readme.py"
    section = gen.section()
    assert "| 5.2.2.16 | Token protection is enforced for Exchange, SharePoint and Teams |" in section
    assert "MS.POWERPLATFORM.4.1v1" in section and "MS.POWERBI.1.1v1" not in section


def _git_repo(root: Path, files: dict[str, str]) -> str:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "fixture"]):
        subprocess.run(["git", "-C", str(root), *cmd], check=True, env={**env, "PATH": "/usr/bin:/bin"})
    return subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_gen_frameworks_reads_scubagear_headings_statements_and_manual_badges(tmp_path: Path) -> None:
    gen = _tool("gen_frameworks")
    baseline = (
        "**`TLP:CLEAR`**\n# CISA M365 Secure Configuration Baseline for Teams\n\n## 1. Meetings\n"
        "### Policies\n#### MS.TEAMS.1.1v1\nExternal participants SHOULD NOT\nrequest control.\n\n"
        "[![Automated Check](https://img.shields.io/badge/Automated_Check-5E9732)](#k)\n"
        "#### MS.TEAMS.1.2v2\nAnonymous users SHALL NOT start meetings.\n\n"
        "[![Manual](https://img.shields.io/badge/Manual-046B9A)](#k)\n"
        "### Implementation\n#### MS.TEAMS.1.1v1 Instructions\n1. Do it.\n"
    )
    files = {"PowerShell/ScubaGear/ScubaGear.psd1": "ModuleVersion = '9.9.0'\n"}
    for name in gen.SCUBA_BASELINES:
        files[f"PowerShell/ScubaGear/baselines/{name}.md"] = (
            baseline if name == "teams" else "# CISA M365 Secure Configuration Baseline for X\n"
        )
    commit = _git_repo(tmp_path, files)
    doc = gen.scuba_framework(tmp_path)
    assert doc["source"]["commit"] == commit and "9.9.0" in doc["title"]
    assert doc["controls"] == [
        {
            "id": "MS.TEAMS.1.1v1",
            "title": "External participants SHOULD NOT request control.",
            "section": "Teams",
            "automated": True,
        },
        {
            "id": "MS.TEAMS.1.2v2",
            "title": "Anonymous users SHALL NOT start meetings.",
            "section": "Teams",
            "automated": False,
        },
    ]


def test_gen_frameworks_reads_prowler_ids_profiles_and_status(tmp_path: Path, monkeypatch) -> None:
    gen = _tool("gen_frameworks")
    requirement = {
        "Id": "5.2.2.16",
        "Description": "not copied",
        "Checks": [],
        "Attributes": [
            {
                "Section": "5 Entra",
                "SubSection": "5.2.2 Conditional Access",
                "Profile": "E3 Level 2",
                "AssessmentStatus": "Manual",
            }
        ],
    }
    doc = {"Name": "CIS Microsoft 365 Foundations Benchmark v7.0.0", "Requirements": [requirement]}
    commit = _git_repo(tmp_path, {"prowler/compliance/m365/cis_7.0_m365.json": json.dumps(doc)})
    monkeypatch.setattr(gen, "PROWLER_COMMIT", commit)
    out = gen.cis_framework(tmp_path, "cis-m365-v7", {"v7": {"5.2.2.16": "Our title"}})
    assert out["controls"] == [
        {
            "id": "5.2.2.16",
            "title": "Our title",
            "section": "5.2.2 Conditional Access",
            "profile": "E3 Level 2",
            "level": 2,
            "automated": False,
        }
    ]
    assert out["source"]["commit"] == commit and "not copied" not in json.dumps(out)
    with pytest.raises(SystemExit, match="no title"):
        gen.cis_framework(tmp_path, "cis-m365-v7", {"v7": {}})
    # a file whose name says v6 but whose content is another version is refused, not mislabelled
    moved = tmp_path / "v6"
    _git_repo(moved, {"prowler/compliance/m365/cis_6.0_m365.json": json.dumps(doc)})
    head = subprocess.run(
        ["git", "-C", str(moved), "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    monkeypatch.setattr(gen, "PROWLER_COMMIT", head)
    with pytest.raises(
        SystemExit, match=re.escape("expected CIS Microsoft 365 Foundations Benchmark v6.0.0")
    ):
        gen.cis_framework(moved, "cis-m365-v6", {"v7": {"5.2.2.16": "t"}})
