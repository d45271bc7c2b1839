"""The CI kit installs from anywhere and keeps the previous results for ``--since``.

- Every documented install is of one pinned release, the version in pyproject.toml, by a
  reference that works in the user's own repository (never ``pip install .``).
- Each pipeline passes a structural schema check (our own minimal schemas, in
  data/ci-schemas: actionlint cannot be installed here and no official schema is offline).
- The documented shell steps run, as written, against the loopback Graph test server: only
  the install lines are left out (no network) and ``auditor`` is a shim that swaps the
  authentication for ``--auth token --graph-url``. Run twice, the second run gates with
  ``--since`` on the results the first left, and a failing gate keeps nothing.
- The container's entry point, run as a non-root uid (as ``docker run --user`` does), writes
  its reports into a folder that uid owns.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

import auditor
from tests.authoring.conftest import ROOT
from tests.graphserver import GraphServer

VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["version"]
CI_MD = (ROOT / "docs" / "ci.md").read_text("utf-8")
SCHEMAS = Path(__file__).parent / "data" / "ci-schemas"
TOKEN = "ci-kit-token"
INSTALL = re.compile(r"curl |pip install|pip check")


def _blocks() -> list[Any]:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", CI_MD, re.S)]


def _pipelines() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    github, azure, gitlab = _blocks()[:3]
    if True in github:  # YAML 1.1 reads the key `on` as a boolean
        github["on"] = github.pop(True)
    return github, azure, gitlab


def test_version_is_0_3_0_everywhere() -> None:
    assert VERSION == "0.3.0" and auditor.__version__ == VERSION
    tag = f"v{VERSION}"
    pins = re.findall(r"@(v\d+\.\d+\.\d+)|rev: (v\d+\.\d+\.\d+)|#(v\d+\.\d+\.\d+)", CI_MD)
    found = {p for group in pins for p in group if p}
    assert found == {tag}, found
    hooks = (ROOT / ".pre-commit-hooks.yaml").read_text("utf-8")
    assert f"rev: {tag}" in hooks and "v0.1.0" not in CI_MD + hooks
    assert f"auditor/{tag}/requirements.lock" in CI_MD
    assert f"**{VERSION}** (git tag `{tag}`)" in CI_MD


def test_pipelines_install_a_pinned_release_with_hash_locked_dependencies() -> None:
    github, azure, gitlab = _pipelines()
    uses = [s["uses"] for s in github["jobs"]["audit"]["steps"] if "uses" in s]
    assert f"OWNER/auditor@v{VERSION}" in uses  # the action from the tag, which installs its checkout
    scripts = {
        "azure": "\n".join(s.get("script", "") for s in azure["steps"]),
        "gitlab": "\n".join(gitlab["tenant-audit"]["script"]),
    }
    for name, text in scripts.items():
        installs = [ln.strip() for ln in text.splitlines() if "pip install" in ln]
        assert not [ln for ln in installs if re.search(r"pip install\s+\.(\s|$)", ln)], name
        assert any("--require-hashes --no-deps -r auditor-requirements.lock" in ln for ln in installs), name
        tool = [ln for ln in installs if "git+https://" in ln]
        assert tool and all(
            f'"auditor @ git+https://github.com/OWNER/auditor@v{VERSION}"' in ln
            and "--no-deps" in ln
            and "--no-build-isolation" in ln
            for ln in tool
        ), name
        assert "pip check" in text, name
    # git and curl exist in the GitLab image (the slim one has neither)
    assert gitlab["tenant-audit"]["image"] == "python:3.12"


@pytest.mark.parametrize(
    ("schema", "which"),
    [("github-workflow", 0), ("azure-pipelines", 1), ("gitlab-ci", 2), ("github-action", None)],
)
def test_ci_files_pass_their_structural_schema(schema: str, which: int | None) -> None:
    doc = yaml.safe_load((ROOT / "action.yml").read_text("utf-8")) if which is None else _pipelines()[which]
    validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / f"{schema}.json").read_text()))
    errors = sorted(validator.iter_errors(doc), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


def test_schemas_reject_a_broken_pipeline() -> None:
    """The schemas are not vacuous."""
    github, azure, gitlab = _pipelines()
    github["jobs"]["audit"]["steps"].append({"uses": "actions/checkout", "run": "x"})
    azure["steps"].append({"task": "AzureCLI"})
    gitlab["tenant-audit"]["cache"]["when"] = "sometimes"
    for schema, doc in (("github-workflow", github), ("azure-pipelines", azure), ("gitlab-ci", gitlab)):
        validator = jsonschema.Draft202012Validator(json.loads((SCHEMAS / f"{schema}.json").read_text()))
        assert list(validator.iter_errors(doc)), schema


def test_previous_results_are_kept_only_when_the_gate_passed() -> None:
    github, azure, gitlab = _pipelines()
    steps = github["jobs"]["audit"]["steps"]
    names = [str(s.get("uses", "")).split("@")[0] or "run" for s in steps]
    restore, action, save = (
        names.index("actions/cache/restore"),
        names.index("OWNER/auditor"),
        names.index("actions/cache/save"),
    )
    assert restore < action < save
    assert steps[action]["with"]["since"] == steps[restore]["with"]["path"] == steps[save]["with"]["path"]
    assert "if" not in steps[save] and "if" not in steps[save - 1]  # only after a passing gate
    assert "TENANT_ID" in steps[save]["with"]["key"]  # one per tenant
    tasks = [s.get("task", "") for s in azure["steps"]]
    download = azure["steps"][tasks.index("DownloadPipelineArtifact@2")]
    keep = [
        s
        for s in azure["steps"]
        if s.get("task") == "PublishPipelineArtifact@1"
        and s["inputs"]["artifact"] == download["inputs"]["artifact"]
    ]
    assert len(keep) == 1 and "condition" not in keep[0]  # the default: succeeded()
    assert tasks.index("DownloadPipelineArtifact@2") < tasks.index("AzureCLI@2")
    cache = gitlab["tenant-audit"]["cache"]
    assert cache["when"] == "on_success" and "$AZURE_TENANT_ID" in cache["key"]


# --- the documented steps, run ------------------------------------------------------------------

SHIM = """#!{python}
import json, os, sys
sys.path.insert(0, {root!r})
from auditor.cli import main
args = sys.argv[1:]
with open(os.environ["SHIM_LOG"], "a") as log:
    log.write(json.dumps(args) + "\\n")
if args and args[0] in ("collect", "run") and "--auth" in args:
    i = args.index("--auth")
    del args[i : i + 2]
    args += ["--auth", "token", "--graph-url", os.environ["SHIM_GRAPH_URL"]]
sys.exit(main([*args, "--quiet"]))
"""


def _scripts() -> dict[str, str]:
    github, azure, gitlab = _pipelines()
    action = yaml.safe_load((ROOT / "action.yml").read_text("utf-8"))
    audit = next(s for s in action["runs"]["steps"] if s.get("id") == "audit")["run"]
    keep = next(s["run"] for s in github["jobs"]["audit"]["steps"] if "cp " in s.get("run", ""))
    ado = next(s for s in azure["steps"] if s.get("task") == "AzureCLI@2")["inputs"]["inlineScript"]
    lab = "\n".join(ln for ln in gitlab["tenant-audit"]["script"] if not INSTALL.search(ln))
    # GitHub: the action's step, then (only when its gate passed) the workflow's keep step
    gh = f'( {audit.strip()}\n)\ncode=$(sed -n "s/^exit-code=//p" "$GITHUB_OUTPUT")\n'
    gh += f'[ "$code" = 0 ] || exit "$code"\n{keep}\n'
    return {"github": gh, "azure": ado, "gitlab": lab}


def _env(tmp: Path, url: str) -> dict[str, str]:
    bin_dir = tmp / "bin"
    bin_dir.mkdir(exist_ok=True)
    shim = bin_dir / "auditor"
    shim.write_text(SHIM.format(python=sys.executable, root=str(ROOT)))
    shim.chmod(0o755)
    return {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "SHIM_LOG": str(tmp / "calls.jsonl"),
        "SHIM_GRAPH_URL": url,
        "AUDITOR_ACCESS_TOKEN": TOKEN,
        "AZURE_ID_TOKEN": "a-job-token",
        "CI_PROJECT_DIR": str(tmp),
        "GITHUB_OUTPUT": str(tmp / "github-output"),
        "AUDITOR_BASELINE": "rollout-gate",
        "AUDITOR_SNAPSHOT": "snapshot.json.gz",
        "AUDITOR_OUT": "auditor-reports",
        "AUDITOR_ARGS": "--fail-on critical",
        "AUDITOR_SINCE": "previous/results.json",
    }


def _run(name: str, script: str, tmp: Path, env: dict[str, str]) -> int:
    script = script.replace("$(Pipeline.Workspace)", str(tmp)).replace(
        "$(Build.ArtifactStagingDirectory)", str(tmp / "staging")
    )
    (tmp / "github-output").write_text("")
    shell = ["bash", "-e", "-c", script] if name == "gitlab" else ["bash", "-c", script]
    return subprocess.run(shell, cwd=tmp, env=env, capture_output=True, text=True, timeout=600).returncode


def _results(name: str, tmp: Path) -> Path:
    return {
        "github": tmp / "auditor-reports",
        "azure": tmp / "staging" / "reports",
        "gitlab": tmp / "reports",
    }[name] / "results.json"


@pytest.mark.parametrize("name", ["github", "azure", "gitlab"])
def test_documented_steps_run_against_the_test_server_and_gate_with_since(name: str, tmp_path: Path) -> None:
    script = _scripts()[name]
    assert not INSTALL.search(script)
    with GraphServer(users=12, token=TOKEN) as server:
        env = _env(tmp_path, server.url)
        first = _run(name, script, tmp_path, env)
        calls = [json.loads(x) for x in (tmp_path / "calls.jsonl").read_text().splitlines()]
        assert [c[0] for c in calls] == ["run"] and "--since" not in calls[0]  # nothing to compare yet
        results = _results(name, tmp_path)
        doc = json.loads(results.read_text())
        gate_code = {"passed": 0, "failed": 1, "incomplete": 3}[doc["summary"]["gate"]]
        if name != "azure":  # ADO keeps results by publishing an artifact, a task of its own
            kept = tmp_path / "previous" / "results.json"
            assert kept.exists() == (first == gate_code == 0), (first, gate_code)
        # an earlier run whose gate passed (the same results): the next run gates with --since
        (tmp_path / "previous").mkdir(exist_ok=True)
        (tmp_path / "previous" / "results.json").write_bytes(results.read_bytes())
        second = _run(name, script, tmp_path, env)
    calls = [json.loads(x) for x in (tmp_path / "calls.jsonl").read_text().splitlines()]
    assert len(calls) == 2 and "--since" in calls[1]
    assert calls[1][calls[1].index("--since") + 1].endswith("previous/results.json")
    again = json.loads(results.read_text())
    assert again["since"]["newFailures"] == {}  # the same tenant, nothing new
    assert second == again["since"]["exitCode"] == (3 if again["since"]["gate"] == "incomplete" else 0)


# --- the container as the invoking user --------------------------------------------------------


def _entrypoint_as(uid: int, folder: Path, home: str, warm: Path) -> subprocess.CompletedProcess[str]:
    """``auditor audit --demo --out reports`` in ``folder`` as ``uid`` (what ``docker run --user``
    does), with the image's environment (HOME and the cache under /tmp).

    The test's Python lives under root's home, which another uid cannot read: the command runs
    once as root into ``warm`` first, so that every module is imported before the switch (in the
    image, Python is readable by everyone)."""
    code = (
        "import os, sys\n"
        f"sys.path.insert(0, {str(ROOT)!r})\n"
        "from auditor.cli import main\n"
        f"os.chdir({str(warm)!r})\n"
        "main(['audit', '--demo', '--out', 'reports', '--quiet'])\n"
        f"os.environ['HOME'] = {home!r}; os.environ['XDG_CACHE_HOME'] = {home + '/.cache'!r}\n"
        f"os.setgroups([]); os.setgid({uid}); os.setuid({uid})\n"
        f"os.chdir({str(folder)!r})\n"
        "sys.exit(main(['audit', '--demo', '--out', 'reports', '--quiet']))\n"
    )
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(warm),
        "XDG_CACHE_HOME": str(warm / ".cache"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.skipif(os.geteuid() != 0, reason="switching uid needs root (the CI runs as root)")
def test_the_entrypoint_writes_into_a_mounted_folder_as_the_invoking_uid(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    docker = (ROOT / "Dockerfile").read_text("utf-8")
    assert "HOME=/tmp XDG_CACHE_HOME=/tmp/.cache" in docker
    assert '--user "$(id -u):$(id -g)"' in docker and '--user "$(id -u):$(id -g)"' in CI_MD
    host_uid = 4242  # the user on the host who owns the mounted folder
    # pytest's own temporary folders are root's only (0700): another uid could not reach them
    base = Path(tempfile.mkdtemp(prefix="auditor-uid-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(base, ignore_errors=True))
    base.chmod(0o755)
    mounted = base / "work"
    mounted.mkdir()
    os.chown(mounted, host_uid, host_uid)
    mounted.chmod(0o755)
    home = base / "tmp"  # the image's /tmp: writable by anyone
    home.mkdir(mode=0o1777)
    home.chmod(0o1777)
    # the image's default user (uid 10001) cannot write the reports into the host user's folder
    warm = tmp_path / "warm"
    warm.mkdir()
    denied = _entrypoint_as(10001, mounted, str(home), warm)
    assert denied.returncode == 2 and "reports" in denied.stderr, denied.stderr
    assert not (mounted / "reports").exists()
    # run as the invoking user (docker run --user "$(id -u):$(id -g)"): written, and owned by them
    ok = _entrypoint_as(host_uid, mounted, str(home), warm)
    assert ok.returncode == 1, ok.stderr  # the demo tenant fails its gate; the reports are there
    written = {p.name: p.stat().st_uid for p in (mounted / "reports").iterdir()}
    assert "results.json" in written and "report.html" in written
    assert set(written.values()) == {host_uid}
