"""Generate ``auditor/policy/graph_types.json``: the Microsoft Graph field names that ``auditor policies
validate`` checks policy expressions against.

Why: a misspelled field (``u.signInActivty``) compiles, because CEL cannot know the shape of JSON,
and then fails at run time as "no such key", one subject at a time. Graph publishes its schema as
CSDL (OData metadata) in https://github.com/microsoftgraph/msgraph-metadata (MIT licence); this
script reads it and writes a compact table for the collections of our source catalog only:

    collection -> {version, type, list}      from the catalog's endpoint, resolved through the CSDL
    version -> type -> {field: type}         the type's own and inherited properties and navigation
                                             properties, plus those of every derived type (a
                                             collection of a base type holds derived objects:
                                             namedLocations has ipRanges and countriesAndRegions)
    version -> enum -> [members]

Only the types reachable from the catalog's collections are kept: complex properties always,
navigation properties only where the catalog's query expands them (``$expand=policy($expand=rules)``),
because only those are in a snapshot. Non-Graph collections (Exchange, Resource Manager, imports)
are not in the table and are not checked.

Run it after changing the catalog, or to pick up a newer Graph schema:

    # a clone (or any git directory) of microsoftgraph/msgraph-metadata
    python3 tools/gen_graph_types.py --repo /path/to/msgraph-metadata
    # or explicit files
    python3 tools/gen_graph_types.py --v1 v1.xml --beta beta.xml --out auditor/policy/graph_types.json

With ``--repo`` the v1.0 schema is the first of ``V1_FILES`` that the repository holds, and beta the
first of ``BETA_FILES``; when no complete beta schema is present, the largest sovereign-cloud beta
CSDL is used and the field names of ``schemas/type-mappings/beta-*-types.json`` are added to it (names
only: a type known only from those lists has its fields checked, but not the fields below them).
The output records which files were read.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.collect.catalog import CATALOG  # noqa: E402

NS = "microsoft.graph"
V1_FILES = (
    "clean_v10_metadata/cleanMetadataWithDescriptionsv1.0.xml",
    "clean_v10_metadata/cleanMetadata.xml",
)
BETA_FILES = (
    "clean_beta_metadata/cleanMetadataWithDescriptionsbeta.xml",
    "clean_beta_metadata/cleanMetadata.xml",
)
BETA_FALLBACK_FILES = ("schemas/beta-USSec.csdl", "schemas/beta-USNat.csdl", "schemas/beta-GovSG.csdl")
BETA_NAME_LISTS = (
    "schemas/type-mappings/beta-entity-types.json",
    "schemas/type-mappings/beta-complex-types.json",
)
PRIMITIVES = {
    "Edm.String": "string",
    "Edm.Boolean": "bool",
    "Edm.Int16": "int",
    "Edm.Int32": "int",
    "Edm.Int64": "int",
    "Edm.Byte": "int",
    "Edm.SByte": "int",
    "Edm.Double": "double",
    "Edm.Single": "double",
    "Edm.Decimal": "double",
    "Edm.DateTimeOffset": "timestamp",
    "Edm.Date": "string",
    "Edm.TimeOfDay": "string",
    "Edm.Duration": "string",
    "Edm.Guid": "string",
    "Edm.Binary": "bytes",
    "Edm.Stream": "stream",
    "Edm.Untyped": "any",
}
LICENCE = [
    "Derived from microsoftgraph/msgraph-metadata (https://github.com/microsoftgraph/msgraph-metadata)",
    "by tools/gen_graph_types.py. That repository's licence:",
    "MIT License. Copyright (c) 2018 Microsoft Graph.",
    "Permission is hereby granted, free of charge, to any person obtaining a copy of this software and",
    'associated documentation files (the "Software"), to deal in the Software without restriction,',
    "including without limitation the rights to use, copy, modify, merge, publish, distribute,",
    "sublicense, and/or sell copies of the Software, and to permit persons to whom the Software is",
    "furnished to do so, subject to the following conditions: The above copyright notice and this",
    "permission notice shall be included in all copies or substantial portions of the Software.",
    'THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT',
    "NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND",
    "NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,",
    "DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT",
    "OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.",
]


@dataclass
class TypeDef:
    """One entity or complex type as declared: own fields only, and its base type."""

    name: str
    base: str | None = None
    open: bool = False
    fields: dict[str, str] = field(default_factory=dict)  # name -> full type reference
    navigation: set[str] = field(default_factory=set)


@dataclass
class Schema:
    """The parts of one CSDL document the table needs."""

    types: dict[str, TypeDef] = field(default_factory=dict)
    enums: dict[str, list[str]] = field(default_factory=dict)
    container: dict[str, str] = field(default_factory=dict)  # entity set / singleton -> type reference

    def derived(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for t in self.types.values():
            if t.base:
                out.setdefault(t.base, []).append(t.name)
        return out


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse_csdl(text: bytes) -> Schema:
    """Read entity, complex and enum types and the entity container of a CSDL document."""
    root = ET.fromstring(text)
    schema = Schema()
    for node in root.iter():
        if _local(node.tag) != "Schema":
            continue
        namespace = node.get("Namespace", "")
        alias = node.get("Alias")

        def full(ref: str | None, namespace: str = namespace, alias: str | None = alias) -> str | None:
            if ref is None:
                return None
            inner = re.fullmatch(r"Collection\((.*)\)", ref)
            if inner:
                return f"Collection({full(inner.group(1))})"
            if alias and ref.startswith(alias + "."):
                return namespace + ref[len(alias) :]
            if ref.startswith("graph."):
                return NS + ref[len("graph") :]
            return ref

        for child in node:
            kind = _local(child.tag)
            name = f"{namespace}.{child.get('Name')}"
            if kind in ("EntityType", "ComplexType"):
                t = TypeDef(name, full(child.get("BaseType")), child.get("OpenType") == "true")
                for prop in child:
                    pkind = _local(prop.tag)
                    if pkind in ("Property", "NavigationProperty"):
                        t.fields[prop.get("Name", "")] = full(prop.get("Type")) or ""
                        if pkind == "NavigationProperty":
                            t.navigation.add(prop.get("Name", ""))
                schema.types[name] = t
            elif kind == "EnumType":
                schema.enums[name] = [m.get("Name", "") for m in child if _local(m.tag) == "Member"]
            elif kind == "EntityContainer":
                for entry in child:
                    ekind = _local(entry.tag)
                    if ekind == "EntitySet":
                        schema.container[entry.get("Name", "")] = (
                            f"Collection({full(entry.get('EntityType'))})"
                        )
                    elif ekind == "Singleton":
                        schema.container[entry.get("Name", "")] = full(entry.get("Type")) or ""
    return schema


def add_names(schema: Schema, lists: Iterable[dict[str, Any]]) -> None:
    """Add field names from msgraph-metadata's type-mapping lists (names only, type unknown)."""
    for doc in lists:
        for namespace, types in doc.items():
            for short, entry in types.items():
                name = f"{namespace}.{short}"
                t = schema.types.setdefault(name, TypeDef(name))
                for prop in [*entry.get("properties", ()), *entry.get("navigationProperties", ())]:
                    t.fields.setdefault(prop, "")


def _element(ref: str) -> tuple[str, bool]:
    inner = re.fullmatch(r"Collection\((.*)\)", ref)
    return (inner.group(1), True) if inner else (ref, False)


def resolve_path(schema: Schema, path: str) -> tuple[str, bool] | None:
    """The element type and list-ness of a Graph path (``/identity/conditionalAccess/policies``)."""
    segments = [s for s in path.strip("/").split("/") if s]
    ref = schema.container.get(segments[0]) if segments else None
    if ref is None:
        return None
    for segment in segments[1:]:
        name, _ = _element(ref)
        fields = all_fields(schema, name)
        if segment not in fields:
            return None
        ref = fields[segment]
    return _element(ref)


def _ancestors(schema: Schema, name: str) -> list[str]:
    chain: list[str] = []
    while name in schema.types and name not in chain:
        chain.append(name)
        name = schema.types[name].base or ""
    return chain


def all_fields(schema: Schema, name: str) -> dict[str, str]:
    """Own and inherited fields of a type."""
    out: dict[str, str] = {}
    for t in reversed(_ancestors(schema, name)):
        out.update(schema.types[t].fields)
    return out


def family_fields(schema: Schema, name: str, derived: dict[str, list[str]]) -> dict[str, str]:
    """Fields of the type, its bases and every type derived from it (first declaration wins)."""
    out = all_fields(schema, name)
    stack = list(derived.get(name, ()))
    while stack:
        child = stack.pop()
        for key, ref in schema.types[child].fields.items():
            out.setdefault(key, ref)
        stack.extend(derived.get(child, ()))
    return out


def expansions(query: str) -> dict[str, Any]:
    """``$expand=policy($expand=rules),x`` -> {"policy": {"rules": {}}, "x": {}}."""
    match = re.search(r"\$expand=(.*?)(?:&|$)", query)
    return _parse_expand(match.group(1)) if match else {}


def _parse_expand(text: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    depth, start = 0, 0
    for i, ch in enumerate(text + ","):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            item = text[start:i].strip()
            name, _, rest = item.partition("(")
            inner = re.search(r"\$expand=(.*)\)$", "(" + rest) if rest else None
            out[name.strip()] = _parse_expand(inner.group(1)) if inner else {}
            start = i + 1
    return out


def short(ref: str, schema: Schema) -> str:
    """A compact type reference: ``string``, ``[user]``, ``enum:conditionalAccessPolicyState``."""
    name, is_list = _element(ref)
    if name in PRIMITIVES:
        text = PRIMITIVES[name]
    elif name in schema.enums:
        text = "enum:" + name.removeprefix(NS + ".")
    elif name in schema.types:
        text = name.removeprefix(NS + ".")
    elif not name:
        text = "?"
    else:
        text = "any"
    return f"[{text}]" if is_list else text


def build_version(schema: Schema, version: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """Collections, types and enums of one API version, for the catalog's Graph collections."""
    derived = schema.derived()
    collections: dict[str, Any] = {}
    types: dict[str, Any] = {}
    enums: dict[str, list[str]] = {}
    pending: list[tuple[str, dict[str, Any]]] = []
    for source in CATALOG.values():
        if source.api != "graph":
            continue
        resolved = resolve_path(schema, source.path)
        if resolved is None:
            continue
        name, is_list = resolved
        collections[source.name] = {"type": name.removeprefix(NS + "."), "list": is_list}
        pending.append((name, expansions(source.query)))
    seen: set[tuple[str, str]] = set()
    while pending:
        name, expand = pending.pop()
        key = (name, json.dumps(expand, sort_keys=True))
        if key in seen or name not in schema.types:
            continue
        seen.add(key)
        fields = family_fields(schema, name, derived)
        entry = types.setdefault(name.removeprefix(NS + "."), {"fields": {}})
        navigation = {
            n
            for t in [name, *_descendants(name, derived), *_ancestors(schema, name)]
            for n in schema.types[t].navigation
        }
        if any(schema.types[t].open for t in _ancestors(schema, name)):
            entry["open"] = True
        for field_name, ref in sorted(fields.items()):
            entry["fields"][field_name] = short(ref, schema)
            target, _ = _element(ref)
            if target in schema.enums:
                enums[target.removeprefix(NS + ".")] = schema.enums[target]
            elif target in schema.types and (field_name not in navigation or field_name in expand):
                pending.append((target, expand.get(field_name, {})))
    return collections, dict(sorted(types.items())), dict(sorted(enums.items()))


def _descendants(name: str, derived: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    stack = list(derived.get(name, ()))
    while stack:
        child = stack.pop()
        out.append(child)
        stack.extend(derived.get(child, ()))
    return out


def _git_show(repo: Path, path: str) -> bytes | None:
    """A file of the repository at HEAD, or None when absent (large files may be missing)."""
    result = subprocess.run(
        ["git", "-C", str(repo), "show", f"HEAD:{path}"], capture_output=True, check=False
    )
    if result.returncode != 0 or result.stdout.startswith(b"version https://git-lfs"):
        return None
    return result.stdout


def _from_repo(repo: Path) -> tuple[dict[str, Schema], dict[str, list[str]]]:
    schemas: dict[str, Schema] = {}
    used: dict[str, list[str]] = {"v1.0": [], "beta": []}
    for path in V1_FILES:
        text = _git_show(repo, path)
        if text:
            schemas["v1.0"] = parse_csdl(text)
            used["v1.0"].append(path)
            break
    for path in BETA_FILES:
        text = _git_show(repo, path)
        if text:
            schemas["beta"] = parse_csdl(text)
            used["beta"].append(path)
            break
    else:
        for path in BETA_FALLBACK_FILES:
            text = _git_show(repo, path)
            if text:
                schemas["beta"] = parse_csdl(text)
                used["beta"].append(path)
                break
        lists = [(p, _git_show(repo, p)) for p in BETA_NAME_LISTS]
        add_names(schemas.setdefault("beta", Schema()), [json.loads(t) for _, t in lists if t])
        used["beta"].extend(p for p, t in lists if t)
        _inherit_bases(schemas["beta"], schemas.get("v1.0"))
    if "v1.0" not in schemas:
        raise SystemExit(f"{repo}: none of {', '.join(V1_FILES)} found")
    return schemas, used


def _inherit_bases(beta: Schema, v1: Schema | None) -> None:
    """Types known only from the beta name lists take their base type and container from v1.0."""
    if v1 is None:
        return
    for name, t in beta.types.items():
        if t.base is None and name in v1.types:
            t.base = v1.types[name].base
            t.open = t.open or v1.types[name].open
        if name in v1.types:
            for key, ref in v1.types[name].fields.items():
                if not t.fields.get(key):
                    t.fields[key] = ref
                if key in v1.types[name].navigation:
                    t.navigation.add(key)
    for name, ref in v1.container.items():
        beta.container.setdefault(name, ref)
    for name, members in v1.enums.items():
        beta.enums.setdefault(name, members)


def generate(schemas: dict[str, Schema], sources: dict[str, list[str]], commit: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "_licence": LICENCE,
        "_generated": {"by": "tools/gen_graph_types.py", "metadataCommit": commit, "files": sources},
    }
    out["collections"] = {}
    out["types"] = {}
    out["enums"] = {}
    for version, schema in sorted(schemas.items()):
        collections, types, enums = build_version(schema, version)
        out["types"][version] = types
        out["enums"][version] = enums
        for name, entry in collections.items():
            if CATALOG[name].version == version:
                out["collections"][name] = {"version": version, **entry}
    out["collections"] = dict(sorted(out["collections"].items()))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="a git directory of microsoftgraph/msgraph-metadata")
    parser.add_argument("--v1", type=Path, help="v1.0 CSDL file (instead of --repo)")
    parser.add_argument("--beta", type=Path, help="beta CSDL file (instead of --repo)")
    parser.add_argument("--out", type=Path, default=ROOT / "auditor" / "policy" / "graph_types.json")
    args = parser.parse_args(argv)
    commit = None
    if args.repo:
        schemas, used = _from_repo(args.repo)
        commit = (
            subprocess.run(
                ["git", "-C", str(args.repo), "rev-parse", "HEAD"],
                capture_output=True,
                text=True,
                check=False,
            ).stdout.strip()
            or None
        )
    elif args.v1:
        schemas = {"v1.0": parse_csdl(args.v1.read_bytes())}
        used = {"v1.0": [args.v1.name], "beta": []}
        if args.beta:
            schemas["beta"] = parse_csdl(args.beta.read_bytes())
            used["beta"] = [args.beta.name]
    else:
        parser.error("give --repo, or --v1 (and --beta)")
    table = generate(schemas, used, commit)
    args.out.write_text(json.dumps(table, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    missing = sorted(n for n, s in CATALOG.items() if s.api == "graph" and n not in table["collections"])
    print(
        f"wrote {args.out}: {len(table['collections'])} collections, "
        + ", ".join(f"{v} {len(t)} types" for v, t in table["types"].items())
    )
    if missing:
        print(f"not resolved (not checked): {', '.join(missing)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
