"""The CI kit (action.yml, docs/ci.md pipelines, Dockerfile, .pre-commit-hooks.yaml) parses, and every
``auditor`` command it runs is a real command with real flags of our CLI."""

from __future__ import annotations

import re
import shlex
from typing import Any

import pytest
import yaml

from auditor.cli import build_parser
from tests.authoring.conftest import ROOT


def auditor_lines(script: str) -> list[str]:
    """The ``auditor ...`` command lines of a shell script (comments dropped)."""
    return [
        line.strip()
        for line in script.splitlines()
        if re.match(r"^\s*(-\s+)?auditor\s", line) and not line.strip().startswith("#")
    ]


def parse_command(line: str) -> Any:
    """Parse one ``auditor ...`` line with the real parser; variables become placeholder words."""
    line = re.sub(r"^-\s+", "", line.strip())
    line = re.sub(r"\$\{\{[^}]*\}\}|\$\([^)]*\)", "VALUE", line)
    line = re.sub(r'"\$\{?[A-Z_]+\}?"', "VALUE", line)
    line = re.sub(r"\s\$[A-Z_]+", "", line)  # a word-split extras variable may be empty
    words = shlex.split(line)
    assert words[0] == "auditor", line
    try:
        return build_parser().parse_args(words[1:])
    except SystemExit as exc:  # argparse rejected a command or flag
        pytest.fail(f"not a valid auditor command line ({exc.code}): {line}")


def test_parse_command_rejects_an_unknown_flag() -> None:
    with pytest.raises(pytest.fail.Exception):
        parse_command("auditor run --snapshotfile x.json")


def test_action_is_composite_with_oidc_sarif_summary_and_exit_code() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    assert action["runs"]["using"] == "composite"
    assert {"tenant-id", "client-id"} <= set(action["inputs"])
    steps = action["runs"]["steps"]
    scripts = "\n".join(s.get("run", "") for s in steps)
    (line,) = auditor_lines(scripts)
    args = parse_command(line)
    assert (args.command, args.auth) == ("run", "workload-identity")
    assert args.snapshot_out and args.out and args.baseline
    # installs the tool from the action's own checkout
    assert any("pip install" in s.get("run", "") and "ACTION_PATH" in s.get("run", "") for s in steps)
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert len(uploads) == 1 and uploads[0]["with"]["sarif_file"].endswith("/results.sarif")
    assert "always()" in uploads[0]["if"]
    summary = [s for s in steps if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
    assert len(summary) == 1 and "summary.md" in summary[0]["run"] and "always()" in summary[0]["if"]
    gate = steps[-1]
    assert "steps.audit.outputs.exit-code" in gate["env"]["CODE"] and 'exit "${CODE' in gate["run"]
    # no secret anywhere: identifiers only, no AZURE_CLIENT_SECRET, no secrets context
    text = (ROOT / "action.yml").read_text("utf-8")
    assert "AZURE_CLIENT_SECRET" not in text and "secrets." not in text
    # inputs reach scripts through env, never pasted into the shell text (script injection)
    assert not [s for s in steps if "${{ inputs." in s.get("run", "")]


def _doc_yaml_blocks() -> list[Any]:
    text = (ROOT / "docs" / "ci.md").read_text("utf-8")
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def _strings(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def test_ci_doc_pipelines_parse_and_call_real_commands() -> None:
    blocks = _doc_yaml_blocks()
    assert len(blocks) >= 4  # GitHub, Azure DevOps, GitLab, pre-commit
    github, azure, gitlab = blocks[0], blocks[1], blocks[2]
    assert github["permissions"]["id-token"] == "write"
    azure_lines = [ln for s in _strings(azure) for ln in auditor_lines(s)]
    gitlab_lines = [ln for s in _strings(gitlab) for ln in auditor_lines(s)]
    assert azure_lines and gitlab_lines
    assert parse_command(azure_lines[0]).auth == "cli"
    assert parse_command(gitlab_lines[0]).auth == "workload-identity"
    assert gitlab["tenant-audit"]["id_tokens"]["AZURE_ID_TOKEN"]["aud"] == "api://AzureADTokenExchange"
    assert gitlab["tenant-audit"]["artifacts"]["reports"]["junit"] == "reports/results.junit.xml"
    for line in azure_lines + gitlab_lines:
        assert parse_command(line).command == "run"
    for line in auditor_lines((ROOT / "docs" / "ci.md").read_text("utf-8")):
        parse_command(line)


def test_dockerfile_installs_the_package_and_runs_the_cli_unprivileged() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    instructions = [ln.split(None, 1) for ln in text.splitlines() if ln and not ln.startswith(("#", " "))]
    keys = [i[0] for i in instructions]
    assert keys[0] == "FROM" and "python:3.1" in instructions[0][1]
    assert ["ENTRYPOINT", '["auditor"]'] in instructions
    assert "USER" in keys and dict(instructions)["USER"] != "root"
    copied = {i[1].split()[0] for i in instructions if i[0] == "COPY"}
    assert {"auditor", "policies", "baselines"} <= copied  # the built-in library is in the image
    assert "pip install /src" in text
    for line in re.findall(r"docker run [^\n]*? auditor (.*)", text + (ROOT / "docs" / "ci.md").read_text()):
        parse_command("auditor " + line.rstrip(" \\"))


def test_pre_commit_hooks_run_validate_and_test() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text("utf-8"))}
    assert set(hooks) == {"auditor-policies-validate", "auditor-test"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        args = parse_command(" ".join([hook["entry"], *hook["args"]]))
        assert callable(args.func)
    assert parse_command(hooks["auditor-policies-validate"]["entry"] + " policies").action == "validate"
    assert parse_command(hooks["auditor-test"]["entry"] + " policies").command == "test"
