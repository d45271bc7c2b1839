"""The GitHub Action's ``sigstore`` input: off by default, and when on it installs the Sigstore
extra and passes ``--attest --sigstore`` to ``auditor run`` (a real flag combination)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from auditor.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def test_action_signs_keylessly_on_request() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    assert action["inputs"]["sigstore"]["default"] == "false"
    steps = action["runs"]["steps"]
    install = next(s for s in steps if "pip install" in s.get("run", ""))
    # one hashed install serves both modes: the lock carries the sigstore extra's packages
    assert "--require-hashes" in install["run"] and "requirements.lock" in install["run"]
    lock = (ROOT / "requirements.lock").read_text("utf-8")
    assert re.search(r"^sigstore==", lock, re.M), "the lock must carry the sigstore extra"
    audit = next(s for s in steps if s.get("id") == "audit")
    assert 'AUDITOR_ATTEST="--attest --sigstore"' in audit["run"]
    line = next(ln for ln in audit["run"].splitlines() if ln.strip().startswith("auditor run"))
    assert line.rstrip().endswith("$AUDITOR_ATTEST")
    words = (
        re.sub(r'"\$[A-Z_]+"', "VALUE", line)
        .replace("$AUDITOR_ARGS", "")
        .replace('"${since[@]}"', "")  # --since FILE only when an earlier results.json exists
        .replace("$AUDITOR_ATTEST", "--attest --sigstore")
        .split()
    )
    args = build_parser().parse_args(words[1:])
    assert args.attest and args.sigstore and args.key is None


def test_ci_doc_shows_id_token_write_for_signing() -> None:
    text = (ROOT / "docs" / "ci.md").read_text("utf-8")
    section = text[text.index("## Signed results for a third party") :]
    section = section[: section.find("\n## ", 3) if "\n## " in section[3:] else len(section)]
    (block,) = re.findall(r"```yaml\n(.*?)```", section, re.S)
    workflow = yaml.safe_load(block)
    assert workflow["permissions"]["id-token"] == "write"
    step = next(
        s for s in workflow["jobs"]["audit"]["steps"] if str(s.get("uses", "")).startswith("OWNER/auditor@")
    )
    assert step["with"]["sigstore"] == "true"
    assert "--certificate-identity" in section and "--certificate-oidc-issuer" in section
