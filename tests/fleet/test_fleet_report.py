"""``auditor fleet report DIR`` on a folder of results documents received from vendors:
each checked for its integrity hash, re-verified when its snapshot lies beside it, marked
unverified otherwise; tenant text escaped in every roll-up format; the trend kept."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources
from pathlib import Path

import jsonschema

from auditor import api
from auditor.cli import main
from auditor.fleet.render import render
from auditor.fleet.rollup import build_rollup, fleet_schema

HOSTILE = "<script>alert(1)</script> | [x](javascript:1)"


def _vendor_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "vendors"
    folder.mkdir()
    raw = resources.files("auditor.data").joinpath("demo-snapshot.json").read_bytes()
    (folder / "acme.snapshot.json").write_bytes(raw)
    result = api.audit(str(folder / "acme.snapshot.json"))
    body = result.render("json")
    (folder / "acme.json").write_bytes(body)  # with its snapshot: re-verified
    (folder / "globex.json").write_bytes(body)  # no snapshot: unverified
    tampered = json.loads(body)
    tampered["results"][0]["status"] = "pass" if tampered["results"][0]["status"] != "pass" else "fail"
    (folder / "initech.json").write_text(json.dumps(tampered))  # edited after sealing
    return folder


def test_vendor_documents_are_verified_or_marked(tmp_path, capsys):
    folder = _vendor_folder(tmp_path)

    code = main(["fleet", "report", str(folder), "--format", "json,md,html,csv"])

    assert code == 1  # acme and globex fail their gate; a failed gate outranks initech's error
    doc = json.loads((folder / "fleet.json").read_text())
    jsonschema.Draft202012Validator(fleet_schema()).validate(doc)
    by_id = {t["id"]: t for t in doc["tenants"]}
    assert by_id["acme"]["verification"] == "verified"
    assert by_id["globex"]["verification"] == "unverified"
    assert by_id["initech"]["gate"] == "error" and "integrity" in by_id["initech"]["error"]
    assert by_id["acme"]["failing"] == by_id["globex"]["failing"] != []
    assert {p.name for p in folder.glob("fleet.*")} == {"fleet.json", "fleet.md", "fleet.html", "fleet.csv"}


def test_a_document_that_does_not_match_its_snapshot_fails_verification(tmp_path):
    folder = _vendor_folder(tmp_path)
    snap = json.loads((folder / "acme.snapshot.json").read_text())
    snap["data"]["users"] = []  # a different tenant state than the one the results claim
    (folder / "acme.snapshot.json").write_text(json.dumps(snap))
    assert main(["fleet", "report", str(folder), "--format", "json"]) == 1
    acme = next(t for t in json.loads((folder / "fleet.json").read_text())["tenants"] if t["id"] == "acme")
    assert acme["verification"] == "failed" and "sha256" in acme["verificationProblem"]


def test_trend_against_the_previous_rollup(tmp_path):
    folder = _vendor_folder(tmp_path)
    (folder / "initech.json").unlink()
    assert main(["fleet", "report", str(folder), "--no-verify", "--format", "json"]) == 1
    # re-rendering the same roll-up keeps no trend (there is no earlier run) ...
    assert main(["fleet", "report", str(folder), "--no-verify", "--format", "json"]) == 1
    assert json.loads((folder / "fleet.json").read_text())["trend"] is None
    # ... a new vendor document makes a new run, compared with the last one
    (folder / "hooli.json").write_bytes((folder / "acme.json").read_bytes())
    assert main(["fleet", "report", str(folder), "--no-verify", "--format", "json"]) == 1
    doc = json.loads((folder / "fleet.json").read_text())
    trend = {t["id"]: t for t in doc["trend"]["tenants"]}
    assert trend["hooli"]["failBefore"] is None and trend["acme"]["failBefore"] == trend["acme"]["failNow"]
    assert (folder / "fleet.previous.json").is_file()


def test_tenant_text_is_escaped_in_every_format(tmp_path):
    folder = _vendor_folder(tmp_path)
    doc = build_rollup(folder)
    doc["tenants"][0]["name"] = HOSTILE
    doc["tenants"][0]["tags"] = ["=HYPERLINK(1)"]
    html = render(doc, "html").decode()
    assert "<script>" not in html and "&lt;script&gt;" in html
    md = render(doc, "md").decode()
    assert "](javascript" not in md and "<script>" not in md
    row = next(csv.reader(io.StringIO(render(doc, "csv").decode())))
    assert row[0] == "tenant"
    rows = list(csv.reader(io.StringIO(render(doc, "csv").decode())))
    assert not rows[1][2].startswith("=")  # no formula from a tag
