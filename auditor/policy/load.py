"""Load policies: YAML → JSON Schema (structure) → details → CEL compile.

Every problem names the file and line (and column for CEL). Loading a folder
collects the errors of every file, so ``auditor policies validate`` can report
them all at once; evaluation never starts with a policy that failed to load.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from auditor.builtin import builtin_dir
from auditor.errors import InputError, InputErrors
from auditor.policy.model import Policy

if TYPE_CHECKING:
    from auditor.policy.cache import PolicySource
    from auditor.policy.yamlpos import YamlDocument

# The compiler and the YAML reader (with pyyaml, the CEL parser and checker) are imported when a
# policy file is read: an audit whose policies come from the compiled-policy cache needs neither.

TEST_SUFFIXES = (".test.yaml", ".test.yml")


@lru_cache(maxsize=1)
def policy_schema() -> dict[str, Any]:
    text = resources.files("auditor.policy").joinpath("schema.json").read_text("utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def is_test_file(path: Path) -> bool:
    return path.name.endswith(TEST_SUFFIXES)


def discover(paths: Iterable[str | Path], *, tests: bool = False) -> list[Path]:
    """YAML files under ``paths`` (files or folders): policies, or with ``tests`` their test files."""
    return [path for path, _ in discover_named(paths, tests=tests)]


def discover_named(paths: Iterable[str | Path], *, tests: bool = False) -> list[tuple[Path, str]]:
    """Like :func:`discover`, each file with its name in results (see :func:`policy_name`)."""
    found: list[tuple[Path, str]] = []
    for entry in paths:
        p = Path(entry)
        if p.is_dir():
            candidates = sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml") and q.is_file())
        elif p.is_file():
            candidates = [p]
        else:
            raise InputError("no such file or folder", source=str(p))
        found.extend((q, policy_name(q)) for q in candidates if is_test_file(q) == tests)
    return found


def policy_name(path: Path) -> str:
    """A policy file's name in results (``policyFile``), the same whatever the working folder or
    the cache holds: ``policies/…`` inside the built-in library, else the path as discovered from
    the ``--policies`` entry written on the command line (``./mine`` → ``mine/admins.yaml``), so a
    SARIF result of an audit run from the repository's root points at the file in the repository."""
    builtin = builtin_dir("policies").resolve()
    resolved = path.resolve()
    if resolved.is_relative_to(builtin):
        return f"policies/{resolved.relative_to(builtin).as_posix()}"
    return path.as_posix()


def read_sources(files: Sequence[tuple[Path, str]]) -> list[PolicySource]:
    """Read each policy file once: the bytes that are hashed are the bytes that are compiled."""
    from auditor.policy.cache import PolicySource

    out: list[PolicySource] = []
    for path, name in files:
        try:
            with open(path, "rb") as fh:
                out.append(PolicySource(path, name, fh.read()))
        except OSError as exc:
            raise InputError(f"cannot read: {exc.strerror or exc}", source=str(path)) from None
    return out


def schema_errors(doc: YamlDocument, schema: dict[str, Any], what: str) -> list[InputError]:
    """Structural errors, each at the line of the offending key."""
    import jsonschema  # when first needed: importing it is a tenth of an audit's start-up

    validator = jsonschema.Draft202012Validator(schema)
    out: list[InputError] = []
    for err in sorted(
        validator.iter_errors(doc.value), key=lambda e: (list(map(str, e.absolute_path)), e.message)
    ):
        path = tuple(err.absolute_path)
        if err.validator == "additionalProperties" and isinstance(err.instance, dict):
            allowed = set(err.schema.get("properties", {}))
            out.extend(
                doc.error(f"unknown key {key!r} in {what}", (*path, key))
                for key in err.instance
                if key not in allowed
            )
            continue
        where = ".".join(str(p) for p in path) or what
        out.append(doc.error(f"{where}: {err.message}", path))
    return out


def load_policy_file(path: Path, raw: bytes | None = None, rel_path: str | None = None) -> Policy:
    """Load and compile one policy file (from ``raw``, its bytes as already read, when given);
    raises InputErrors with every problem found."""
    from auditor.policy.compile import PolicyCompiler
    from auditor.policy.yamlpos import decode_yaml, read_yaml

    source = str(path)
    if raw is None:
        doc, raw = read_yaml(source)
    else:
        doc = decode_yaml(raw, source)
    if not isinstance(doc.value, dict):
        raise InputError("a policy file must be a YAML mapping", source=source, line=1)
    errors = schema_errors(doc, policy_schema(), "policy")
    if errors:
        raise InputErrors(errors)
    compiler = PolicyCompiler(doc)
    policy = compiler.compile(
        path=source,
        rel_path=rel_path if rel_path is not None else policy_name(path),
        sha256=hashlib.sha256(raw).hexdigest(),
    )
    if compiler.errors:
        raise InputErrors(compiler.errors)
    assert policy is not None
    return policy


def load_policies(paths: Sequence[str | Path]) -> tuple[Policy, ...]:
    """Load every policy under ``paths``; all errors of all files are raised together."""
    files = discover_named(paths)
    if not files:
        raise InputError("no policy files (*.yaml) found", source=", ".join(str(p) for p in paths))
    return compile_sources(read_sources(files))


def compile_sources(sources: Sequence[PolicySource]) -> tuple[Policy, ...]:
    """Compile policy files from the bytes already read; all errors of all files are raised together."""
    errors: list[InputError] = []
    policies: list[Policy] = []
    seen: dict[str, str] = {}
    for path, rel_path, raw in sources:
        try:
            policy = load_policy_file(path, raw, rel_path)
        except InputErrors as exc:
            errors.extend(exc.errors)
            continue
        except InputError as exc:
            errors.append(exc)
            continue
        if policy.id in seen:
            errors.append(
                InputError(f"duplicate policy id {policy.id} (also in {seen[policy.id]})", source=str(path))
            )
            continue
        seen[policy.id] = str(path)
        policies.append(policy)
    if errors:
        raise InputErrors(errors)
    return tuple(sorted(policies, key=lambda p: p.id))


#: the word that stands for the built-in library among ``--policies`` entries
BUILTIN = "builtin"


def expand_policy_paths(paths: Sequence[str | Path] | None) -> list[str | Path]:
    """``--policies`` entries as paths: ``builtin`` is the built-in library, and an entry that is not
    an existing path is split on commas (``builtin,./mine``), so both spellings a user tries work."""
    if not paths:
        return [builtin_dir("policies")]
    out: list[str | Path] = []
    for entry in paths:
        parts = [entry] if Path(entry).exists() else [p.strip() for p in str(entry).split(",") if p.strip()]
        for part in parts:
            target = builtin_dir("policies") if part == BUILTIN else part
            if target not in out:
                out.append(target)
    return out


def load_library(paths: Sequence[str | Path] | None = None) -> tuple[Policy, ...]:
    """The policies under ``paths`` (``builtin`` among them adds the built-in library), or the
    built-in library when none are given.

    Compiled policies come from the user's cache when the files are unchanged (see
    :mod:`auditor.policy.cache`); errors are never cached, so a broken file is reported
    on every run.
    """
    from auditor.policy import cache

    chosen = expand_policy_paths(paths)
    files = discover_named(chosen)
    if not files:
        raise InputError("no policy files (*.yaml) found", source=", ".join(str(p) for p in chosen))
    sources = read_sources(files)  # read once: what is hashed for the key is what is compiled
    key = cache.cache_key(sources)
    cached = cache.load(key, sources)
    if cached is not None:
        return cached
    policies = compile_sources(sources)
    cache.store(key, policies)
    return policies


@dataclass(frozen=True)
class PolicySummary:
    """What listing a policy shows, read without compiling any expression."""

    id: str
    title: str
    severity: str
    rel_path: str
    frameworks: dict[str, tuple[str, ...]]
    requires: tuple[str, ...]
    manual: bool

    @property
    def is_manual(self) -> bool:
        return self.manual


def summarise_library(paths: Sequence[str | Path] | None = None) -> tuple[PolicySummary, ...]:
    """Every policy's id, title, severity and mappings: YAML and structure only, no CEL.

    ``auditor policies list`` needs nothing else; ``auditor policies validate`` is where
    expressions are compiled and their errors reported.
    """
    from auditor.policy import yamlpos

    errors: list[InputError] = []
    out: dict[str, PolicySummary] = {}
    chosen = expand_policy_paths(paths)
    files = discover_named(chosen)
    for path, name in files:
        try:
            doc, _ = yamlpos.read_yaml(str(path))
        except InputError as exc:
            errors.append(exc)
            continue
        if not isinstance(doc.value, dict):
            errors.append(InputError("a policy file must be a YAML mapping", source=str(path), line=1))
            continue
        problems = schema_errors(doc, policy_schema(), "policy")
        if problems:
            errors.extend(problems)
            continue
        v = doc.value
        if v["id"] in out:
            errors.append(InputError(f"duplicate policy id {v['id']}", source=str(path)))
            continue
        out[v["id"]] = PolicySummary(
            id=v["id"],
            title=v["title"],
            severity=v["severity"],
            rel_path=name,
            frameworks={k: tuple(map(str, c)) for k, c in (v.get("frameworks") or {}).items()},
            requires=tuple(v.get("requires") or ()),
            manual="manual" in v,
        )
    if errors:
        raise InputErrors(errors)
    if not files:
        raise InputError("no policy files (*.yaml) found", source=", ".join(str(p) for p in chosen))
    return tuple(out[k] for k in sorted(out))
