"""JSON merge patch (RFC 7386) with one extension for lists of objects, for policy tests.

A test file's ``base.data`` is what every case starts from; a case's ``patch`` is
merged over it: objects merge key by key, ``null`` removes a key, any other value
replaces. RFC 7386 replaces lists whole; since Graph collections are lists of
objects with an ``id``, a patch may instead address their elements by id::

    patch:
      domains:
        $byId:
          contoso.com: {passwordValidityPeriodInDays: 90}   # merged into that element
          fabrikam.com: null                                  # element removed
          new.contoso.com: {isRoot: true}                     # not present: appended (id added)
          sales.contoso.com: {$replace: {id: sales.contoso.com, isRoot: false}}  # replaced whole

``{$replace: VALUE}`` anywhere in a patch puts VALUE there as it is (not merged): it
exists because a merge patch cannot otherwise set a value to ``null`` (null removes)
or replace an object instead of merging into it.
"""

from __future__ import annotations

import copy
from typing import Any

BY_ID = "$byId"
REPLACE = "$replace"


class PatchError(ValueError):
    """A patch that cannot apply (``$byId`` on something that is not a list of objects)."""


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied; neither argument is modified."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if set(patch) == {REPLACE}:
        return copy.deepcopy(patch[REPLACE])
    if set(patch) == {BY_ID}:
        return _patch_list(target, patch[BY_ID])
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def _patch_list(target: Any, by_id: Any) -> list[Any]:
    if not isinstance(target, list) or not isinstance(by_id, dict):
        raise PatchError(f"{BY_ID} needs a list of objects with ids and a mapping of id to patch")
    out = [copy.deepcopy(item) for item in target]
    for element_id, element_patch in by_id.items():
        index = next(
            (i for i, item in enumerate(out) if isinstance(item, dict) and item.get("id") == element_id), None
        )
        if element_patch is None:
            if index is not None:
                del out[index]
            continue
        if isinstance(element_patch, dict) and set(element_patch) == {REPLACE}:
            element = copy.deepcopy(element_patch[REPLACE])
        else:
            base = out[index] if index is not None else {"id": element_id}
            element = merge_patch(base, element_patch)
        if index is None:
            out.append(element)
        else:
            out[index] = element
    return out
