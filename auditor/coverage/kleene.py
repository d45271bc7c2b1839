"""Three-valued logic (true, false, unknown) for membership that may not have been collected."""

from __future__ import annotations

from collections.abc import Iterable


def k_or(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for v in values:
        if v is True:
            return True
        if v is None:
            unknown = True
    return None if unknown else False


def k_and(values: Iterable[bool | None]) -> bool | None:
    unknown = False
    for v in values:
        if v is False:
            return False
        if v is None:
            unknown = True
    return None if unknown else True


def k_not(value: bool | None) -> bool | None:
    return None if value is None else not value
