""" "Did you mean" suggestions for names a user typed: policy IDs, baselines, collections, fields.

One place so that every message reads the same way. Matching is case-insensitive (``aad.mfa`` finds
``AAD.MFA``) and uses difflib's ratio, which catches a dropped, doubled or swapped letter.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def close_matches(word: str, candidates: Iterable[str], n: int = 3, cutoff: float = 0.6) -> list[str]:
    """Up to ``n`` candidates close to ``word``, best first; exact case-insensitive matches lead.

    Only candidates nearly as close as the best are kept, so that one obvious fix is not buried
    among merely similar names.
    """
    pool = list(dict.fromkeys(candidates))
    exact = [c for c in pool if c.lower() == word.lower() and c != word]
    if exact:
        return exact[:n]
    scored = []
    for candidate in pool:
        matcher = difflib.SequenceMatcher(None, word.lower(), candidate.lower())
        if matcher.real_quick_ratio() >= cutoff and matcher.quick_ratio() >= cutoff:
            ratio = matcher.ratio()
            if ratio >= cutoff:
                scored.append((ratio, candidate))
    scored.sort(key=lambda rc: (-rc[0], rc[1]))
    if not scored:
        return []
    best = scored[0][0]
    return [c for r, c in scored if r >= best - 0.05][:n]


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """``"; did you mean X?"`` (or ``"X or Y"``), or an empty string when nothing is close."""
    matches = close_matches(word, candidates)
    if not matches:
        return ""
    return "; did you mean " + " or ".join(matches) + "?"
