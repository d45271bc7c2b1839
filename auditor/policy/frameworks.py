"""The frameworks the library maps to, with every control they define, and coverage: one definition.

``auditor/data/frameworks/<key>.json`` holds one framework version each (``cis-m365-v7``,
``cis-m365-v6``, ``cisa-scuba``, ``nist-800-53``): its title, its source (repository, path, commit,
licence) and every control with its title, section, profile and whether the framework itself rates
it automated or manual. ``tools/gen_frameworks.py`` regenerates them from their public sources and
``framework_schema.json`` (beside this module) is their schema.

A catalogue is *complete* when it lists the framework's controls whether or not a policy maps
them, so coverage reads "automated out of all". NIST SP 800-53 is shipped as the controls the
library maps only: its coverage is a count of mapped controls, never a ratio (that would be 100%
by definition).

:func:`coverage` and :func:`coverage_text` are the one definition of the numbers that
``auditor policies list``, the HTML and the Markdown reports print: a control is *automated* when
a policy that is not manual maps it, *manual* when only manual policies map it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

#: framework keys that are no longer shipped, and what replaced them
RETIRED_FRAMEWORKS = {
    "cis-m365-v5": "its control list mixed v5 and v6 IDs and no public source lists v5's own; "
    "map to cis-m365-v7 (and cis-m365-v6)",
}


@dataclass(frozen=True)
class Control:
    """One control as its framework publishes it."""

    id: str
    title: str = ""
    section: str = ""
    profile: str = ""  # CIS: "E3 Level 1" ...; empty elsewhere
    level: int | None = None  # CIS: 1 or 2
    automated: bool | None = None  # as the framework rates it (CIS "Automated"/"Manual", ScubaGear's badge)


@dataclass(frozen=True)
class Framework:
    key: str
    title: str
    controls: tuple[str, ...]
    complete: bool = True
    version: str = ""
    source: Mapping[str, str] = field(default_factory=dict)
    catalogue: Mapping[str, Control] = field(default_factory=dict)

    def control(self, control_id: str) -> Control:
        return self.catalogue.get(control_id) or Control(control_id)


@dataclass(frozen=True)
class Coverage:
    """Controls of one framework: automated by at least one policy, only manual, and all of them."""

    framework: Framework
    automated: frozenset[str]
    manual_only: frozenset[str]
    unknown: frozenset[str]  # mapped by a policy but not a control of the framework (a typo or an old ID)

    @property
    def total(self) -> int:
        """Every control of a complete framework; the mapped ones of a mapped-only list."""
        if self.framework.complete:
            return len(self.framework.controls)
        return len(self.automated | self.manual_only)

    @property
    def not_covered(self) -> tuple[str, ...]:
        """Controls no policy maps, in the framework's order (empty for a mapped-only list)."""
        mapped = self.automated | self.manual_only
        return tuple(c for c in self.framework.controls if c not in mapped)


def _framework(doc: Mapping[str, Any]) -> Framework:
    controls = [
        Control(
            id=str(c["id"]),
            title=str(c.get("title", "")),
            section=str(c.get("section", "")),
            profile=str(c.get("profile", "")),
            level=c.get("level"),
            automated=c.get("automated"),
        )
        for c in doc["controls"]
    ]
    return Framework(
        key=str(doc["key"]),
        title=str(doc["title"]),
        controls=tuple(c.id for c in controls),
        complete=bool(doc.get("complete", True)),
        version=str(doc.get("version", "")),
        source={k: str(v) for k, v in (doc.get("source") or {}).items()},
        catalogue={c.id: c for c in controls},
    )


@lru_cache(maxsize=1)
def load_frameworks() -> Mapping[str, Framework]:
    """The packaged framework catalogue, keyed like policies' ``frameworks`` maps, in a stable order."""
    folder = resources.files("auditor.data").joinpath("frameworks")
    docs = [
        json.loads(entry.read_text("utf-8"))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".json")
    ]
    return {doc["key"]: _framework(doc) for doc in docs}


def framework_schema() -> dict[str, Any]:
    """The JSON schema of one framework data file."""
    text = resources.files("auditor.policy").joinpath("framework_schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


class Mapped(Protocol):
    """What coverage reads of a policy: a compiled :class:`Policy`, a listing summary or a result."""

    @property
    def frameworks(self) -> Mapping[str, tuple[str, ...]]: ...

    @property
    def is_manual(self) -> bool: ...


def coverage(policies: Iterable[Mapped], frameworks: Mapping[str, Framework] | None = None) -> list[Coverage]:
    """Per framework: which of its controls the policies automate (or only describe manually)."""
    frameworks = load_frameworks() if frameworks is None else frameworks
    policies = tuple(policies)
    result = []
    for key, framework in frameworks.items():
        known = set(framework.controls)
        automated = {c for p in policies if not p.is_manual for c in p.frameworks.get(key, ())}
        manual = {c for p in policies if p.is_manual for c in p.frameworks.get(key, ())}
        result.append(
            Coverage(
                framework,
                frozenset(automated & known),
                frozenset((manual - automated) & known),
                frozenset((automated | manual) - known),
            )
        )
    return result


def coverage_text(cov: Coverage) -> str:
    """The one sentence of coverage numbers every output prints, e.g. "87/109 controls automated,
    4 manual" or, for a mapped-only list, "54 controls mapped (all automated)"."""
    automated, manual = len(cov.automated), len(cov.manual_only)
    if cov.framework.complete:
        text = f"{automated}/{cov.total} {'control' if cov.total == 1 else 'controls'} automated"
        return text + (f", {manual} manual" if manual else "")
    mapped = automated + manual
    detail = f"{manual} manual" if manual else "all automated"
    return f"{mapped} control{'' if mapped == 1 else 's'} mapped ({detail})"


def sort_ids(ids: Iterable[str], framework: Framework) -> list[str]:
    """Control IDs in the framework's own order (unknown IDs last, as given)."""
    order = {c: i for i, c in enumerate(framework.controls)}
    return sorted(ids, key=lambda c: (order.get(c, len(order)), c))
