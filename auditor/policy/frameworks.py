"""The frameworks the library maps to, with every control they define, for coverage counts.

``auditor/data/frameworks.json`` holds, per framework key of a policy's ``frameworks`` map, its
title and the full list of control IDs, including the controls no policy automates, so that
coverage reads "automated out of all" rather than "automated out of what we happened to map".
The HTML report reads the same file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol


@dataclass(frozen=True)
class Framework:
    key: str
    title: str
    controls: tuple[str, ...]


@dataclass(frozen=True)
class Coverage:
    """Controls of one framework: automated by at least one policy, only manual, and all of them."""

    framework: Framework
    automated: frozenset[str]
    manual_only: frozenset[str]
    unknown: frozenset[str]  # mapped by a policy but not a control of the framework (a typo or an old ID)

    @property
    def total(self) -> int:
        return len(self.framework.controls)


@lru_cache(maxsize=1)
def load_frameworks() -> Mapping[str, Framework]:
    """The packaged framework catalogue, keyed like policies' ``frameworks`` maps."""
    text = resources.files("auditor.data").joinpath("frameworks.json").read_text("utf-8")
    doc: dict[str, Any] = json.loads(text)
    return {
        key: Framework(key, str(entry["title"]), tuple(str(c) for c in entry["controls"]))
        for key, entry in doc.items()
    }


class Mapped(Protocol):
    """What coverage reads of a policy: a compiled :class:`Policy` or a listing summary."""

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
