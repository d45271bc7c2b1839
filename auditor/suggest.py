""" "Did you mean" suggestions for names a user typed: policy IDs, baselines, collections, fields.

One place so that every message reads the same way. Matching is case-insensitive (``aad.mfa`` finds
``AAD.MFA``) and uses difflib's ratio, which catches a dropped, doubled or swapped letter.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` candidates close to ``word``, best first; exact case-insensitive matches lead."""
    pool = list(dict.fromkeys(candidates))
    exact = [c for c in pool if c.lower() == word.lower() and c != word]
    lowered: dict[str, str] = {}
    for c in pool:
        lowered.setdefault(c.lower(), c)
    fuzzy = [lowered[m] for m in difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=cutoff)]
    return list(dict.fromkeys([*exact, *fuzzy]))[:n]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean X?"`` (or ``"X or Y"``), or an empty string when nothing is close."""
    matches = close_matches(word, candidates)
    if not matches:
        return ""
    return "; did you mean " + " or ".join(matches) + "?"
