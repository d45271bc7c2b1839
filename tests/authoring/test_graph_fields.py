"""Graph field names are checked when policies load: unknown fields with a did-you-mean, beta-only
fields on v1.0 collections, inside expressions, variables, macros and {{ }} templates."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path
from types import ModuleType

import pytest

from auditor.cli import main
from auditor.collect.catalog import CATALOG
from auditor.errors import InputErrors
from auditor.policy import load_policy_file
from auditor.policy.graphfields import graph_types
from tests.authoring.conftest import ROOT

HEAD = """\
id: ORG.TYPO.CHECK
title: t
severity: low
description: d
rationale: r
remediation: x
"""


def _policy(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "org-typo-check.yaml"
    path.write_text(HEAD + textwrap.dedent(body), encoding="utf-8")
    return path


def _errors(tmp_path: Path, body: str) -> list[str]:
    try:
        load_policy_file(_policy(tmp_path, body))
    except InputErrors as exc:
        return [str(e) for e in exc.errors]
    return []


def test_misspelled_field_on_collection_element_is_a_load_error_with_suggestion(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        requires: [users]
        assert: "users.filter(u, u.signInActivty != null).size() == 0"
        """,
    )
    assert len(errors) == 1
    assert "org-typo-check.yaml:8:" in errors[0]  # file and line of the assert
    assert "unknown field 'signInActivty'" in errors[0] and "did you mean signInActivity?" in errors[0]
    assert "Microsoft Graph v1.0" in errors[0]


def test_nested_complex_type_through_variable_foreach_and_has(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        requires: [users]
        variables:
          members: "users.filter(u, u.userType == 'Member')"
        forEach: members
        as: member
        subject: member.userPrincipalName
        assert: "has(member.signInActivity.lastSignInDateTim) && !has(member.acountEnabled)"
        """,
    )
    assert len(errors) == 2
    assert "did you mean lastSignInDateTime" in errors[0]
    assert "'acountEnabled'" in errors[1] and "did you mean accountEnabled" in errors[1]


def test_typo_inside_a_message_template_is_a_load_error(tmp_path: Path) -> None:
    errors = _errors(
        tmp_path,
        """\
        requires: [conditionalAccessPolicies]
        forEach: conditionalAccessPolicies
        as: p
        subject: p.displayName
        assert: "p.state == 'enabled'"
        message: "{{ p.displayNme }} is {{ p.conditions.users.includeUser }}"
        """,
    )
    assert len(errors) == 2
    assert "message {{ p.displayNme }}" in errors[0] and "did you mean displayName" in errors[0]
    assert "did you mean includeUsers" in errors[1]


def test_beta_only_field_read_from_a_v1_collection_is_an_error(tmp_path: Path) -> None:
    assert CATALOG["users"].version == "v1.0"
    errors = _errors(
        tmp_path,
        """\
        requires: [users]
        assert: "users.all(u, u.isLicenseReconciliationNeeded == false)"
        """,
    )
    assert len(errors) == 1
    assert "exists only in Microsoft Graph beta" in errors[0] and "'users' is read from v1.0" in errors[0]


def test_beta_collection_accepts_beta_fields(tmp_path: Path) -> None:
    assert graph_types()["collections"]["authenticationMethodsPolicy"]["version"] == "beta"
    assert not _errors(
        tmp_path,
        """\
        requires: [authenticationMethodsPolicy]
        assert: "authenticationMethodsPolicy.systemCredentialPreferences.state == 'enabled'"
        """,
    )


def test_derived_types_open_types_and_non_graph_collections_are_accepted(tmp_path: Path) -> None:
    assert not _errors(
        tmp_path,
        """\
        requires: [namedLocations, users, exchangeAdminAuditLogConfig]
        variables:
          ranges: "namedLocations.filter(l, has(l.ipRanges)).map(l, l.ipRanges)"
          countries: "namedLocations.exists(l, has(l.countriesAndRegions))"
          ext: "users.exists(u, has(u.extension_0123456789abcdef_costCentre))"
        assert: "exchangeAdminAuditLogConfig.AnyPropertyAtAll == true && size(ranges) > 0"
        """,
    )


def test_validate_command_prints_the_suggestion_and_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _policy(
        tmp_path,
        """\
        requires: [users]
        assert: "users.filter(u, u.signInActivty != null).size() == 0"
        """,
    )
    assert main(["policies", "validate", str(path)]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "did you mean signInActivity?" in err


def test_builtin_library_passes_the_field_check() -> None:
    assert main(["policies", "validate", "builtin"]) == 0


def test_table_covers_every_graph_collection_of_the_catalog_at_its_version() -> None:
    table = graph_types()
    graph = {n: s for n, s in CATALOG.items() if s.api == "graph"}
    # a collection gathered per object (groupMembers: group id -> members) has no single Graph path
    per_object = {n for n, s in graph.items() if "{" in s.path}
    assert set(table["collections"]) == set(graph) - per_object
    for name, source in graph.items():
        if name in per_object:
            continue
        entry = table["collections"][name]
        assert entry["version"] == source.version, name
        assert entry["type"] in table["types"][source.version], name
    assert "MIT License" in " ".join(table["_licence"])
    assert not set(table["collections"]) & {n for n, s in CATALOG.items() if s.api != "graph"}


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_graph_types", ROOT / "tools" / "gen_graph_types.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


CSDL = b"""<?xml version="1.0"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx"><edmx:DataServices>
<Schema Namespace="microsoft.graph" Alias="graph" xmlns="http://docs.oasis-open.org/odata/ns/edm">
  <EnumType Name="policyState"><Member Name="on" Value="0"/><Member Name="off" Value="1"/></EnumType>
  <EntityType Name="entity" Abstract="true"><Property Name="id" Type="Edm.String"/></EntityType>
  <EntityType Name="place" BaseType="graph.entity"><Property Name="name" Type="Edm.String"/></EntityType>
  <EntityType Name="ipPlace" BaseType="graph.place">
    <Property Name="ranges" Type="Collection(graph.range)"/>
  </EntityType>
  <ComplexType Name="range"><Property Name="cidr" Type="Edm.String"/></ComplexType>
  <EntityType Name="policyRoot" BaseType="graph.entity">
    <NavigationProperty Name="places" Type="Collection(graph.place)" ContainsTarget="true"/>
    <Property Name="state" Type="graph.policyState"/>
  </EntityType>
  <EntityContainer Name="GraphService"><Singleton Name="policies" Type="graph.policyRoot"/></EntityContainer>
</Schema></edmx:DataServices></edmx:Edmx>"""


def test_generator_resolves_paths_inheritance_derived_types_and_enums() -> None:
    gen = _generator()
    schema = gen.parse_csdl(CSDL)
    assert gen.resolve_path(schema, "/policies/places") == ("microsoft.graph.place", True)
    assert gen.resolve_path(schema, "/policies/nowhere") is None
    derived = schema.derived()
    fields = gen.family_fields(schema, "microsoft.graph.place", derived)
    assert set(fields) == {"id", "name", "ranges"}  # base, own and derived
    assert gen.short(fields["ranges"], schema) == "[range]"
    assert gen.short(schema.types["microsoft.graph.policyRoot"].fields["state"], schema) == "enum:policyState"
    assert gen.expansions("$filter=x eq 1&$expand=policy($expand=rules),owner") == {
        "policy": {"rules": {}},
        "owner": {},
    }
