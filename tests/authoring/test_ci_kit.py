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
    line = re.sub(r'\s"\$\{[a-z_]+\[@\]\}"', "", line)  # a bash array of optional flags, maybe empty
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
    # installs the tool from the action's own checkout (the tag the workflow pinned)
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
    assert re.search(r"pip install [^\n]*--no-index /src", text)  # the tool itself, nothing downloaded
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


# Supply chain (issue 20): the job that holds an OIDC token for the tenant runs nothing that can
# change under it, and neither does the container build.

SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
LOCK_LINE = re.compile(r"^([A-Za-z0-9._-]+)==([^\s\\]+)")


def _lock() -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as normalised name -> (version, sha256 hashes)."""
    text = (ROOT / "requirements.lock").read_text("utf-8")
    out: dict[str, tuple[str, list[str]]] = {}
    for block in re.split(r"\n(?=\S)", text):
        if block.startswith("#") or not block.strip():
            continue
        m = LOCK_LINE.match(block)
        assert m, f"not a pinned requirement: {block.splitlines()[0]}"
        out[_norm(m.group(1))] = (m.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})\b", block))
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_action_pins_every_third_party_action_by_commit_sha_with_its_tag() -> None:
    text = (ROOT / "action.yml").read_text("utf-8")
    uses = re.findall(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", text, re.M)
    assert len(uses) >= 2
    for ref, rest in uses:
        assert SHA_PIN.match(ref), f"not pinned by a full commit SHA: {ref}"
        assert re.match(r"\s+#\s+v\d+(\.\d+)*\s*$", rest), f"the tag is not named beside the SHA: {ref}{rest}"


def test_action_installs_only_hash_pinned_packages() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    scripts = [s.get("run", "") for s in action["runs"]["steps"]]
    installs = [ln.strip() for s in scripts for ln in s.splitlines() if "pip install" in ln]
    assert installs, "the action installs nothing?"
    for line in installs:
        hashed = "--require-hashes" in line and 'requirements.lock"' in line and "--no-deps" in line
        local = "--no-index" in line and "--no-deps" in line and "--no-build-isolation" in line
        assert hashed or local, f"an install that can fetch unpinned code: {line}"
    assert any("--require-hashes" in ln for ln in installs)
    assert any("pip check" in s for s in scripts)  # a dependency missing from the lock fails the job


def test_the_lock_pins_every_package_by_hash_within_pyproject() -> None:
    from packaging.requirements import Requirement

    lock = _lock()
    for name, (version, hashes) in lock.items():
        assert hashes, f"{name}=={version} has no hash"
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    import tomllib

    project = tomllib.loads(pyproject)
    wanted = [Requirement(r) for r in project["project"]["dependencies"]]
    wanted += [Requirement(r) for r in project["build-system"]["requires"]]
    for req in wanted:
        assert _norm(req.name) in lock, f"{req.name} is not in requirements.lock"
        version = lock[_norm(req.name)][0]
        assert req.specifier.contains(version, prereleases=True), f"{req.name}=={version} is outside {req}"


def test_the_lock_covers_every_runtime_dependency_installed_here() -> None:
    """Walk the installed closure of auditor's requirements: each distribution is in the lock,
    at a version every requirement on it accepts."""
    import tomllib
    from importlib import metadata

    from packaging.requirements import Requirement

    lock = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    todo = [Requirement(r) for r in project["project"]["dependencies"]]
    seen: set[str] = set()
    while todo:
        req = todo.pop()
        name = _norm(req.name)
        if name in seen or (req.marker is not None and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        dist = metadata.distribution(req.name)
        assert name in lock, f"{req.name} (needed here) is missing from requirements.lock"
        # the lock's pin satisfies every requirement on it; the installed version may be newer
        # (a fresh test environment resolves to the registry's latest), so it is not compared
        assert req.specifier.contains(lock[name][0], prereleases=True), (
            f"{req.name}: lock {lock[name][0]} does not satisfy {req.specifier}"
        )
        todo.extend(Requirement(r) for r in dist.requires or ())
    assert len(seen) > 20


def test_dockerfile_pins_its_base_image_by_digest_and_installs_from_the_lock() -> None:
    text = (ROOT / "Dockerfile").read_text("utf-8")
    froms = re.findall(r"^FROM\s+(\S+)", text, re.M)
    assert froms and all(re.search(r"@sha256:[0-9a-f]{64}$", f) for f in froms), froms
    installs = [ln for ln in text.splitlines() if "pip install" in ln]
    assert any("--require-hashes" in ln and "requirements.lock" in ln for ln in installs)
    for line in installs:
        assert "--require-hashes" in line or ("--no-index" in line and "--no-deps" in line), line
    copied = [ln for ln in text.splitlines() if ln.startswith("COPY") and "requirements.lock" in ln]
    assert copied
