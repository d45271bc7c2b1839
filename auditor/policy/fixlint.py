"""Lint a policy's one-line ``fix``: a real action, not a menu path.

The ``fix`` is what "Fix first" shows next to a failure, so it must say what to do (a verb,
the setting, the value). A fix that starts with where to click ("Portal: Entra > …",
"Microsoft Entra admin center > …", "Go to …") tells the reader where to look, not what to
change; the deep link into the right admin portal is added by the reports. Built-in policies
must have a fix (``auditor policies validate`` and the library tests enforce it); a user's
policy without one still loads and validates, with a warning.
"""

from __future__ import annotations

import re
from pathlib import Path

from auditor.builtin import builtin_dir
from auditor.policy.model import Policy

#: portal and product names a fix must not start with (the reports link to the portal)
_PORTAL_WORDS = (
    "portal",
    "microsoft entra",
    "entra",
    "azure ad",
    "azure portal",
    "microsoft 365 admin",
    "m365 admin",
    "admin center",
    "admin centre",
    "exchange admin",
    "microsoft defender",
    "defender portal",
    "microsoft purview",
    "purview",
    "sharepoint admin",
    "teams admin",
    "power platform admin",
    "power bi admin",
    "security.microsoft.com",
    "entra.microsoft.com",
)
_NAVIGATION = re.compile(r"^(?:go to|navigate|open|sign in|browse to|click|select)\b", re.IGNORECASE)
#: a breadcrumb in the first words: "X > Y" or "X → Y"
_BREADCRUMB = re.compile(r"^[^.;:]{0,60}?\s(?:>|→|»)\s")


def fix_problem(fix: str) -> str | None:
    """Why ``fix`` is not an action (None when it is)."""
    text = " ".join(fix.split())
    if not text:
        return "fix is empty"
    low = text.lower()
    for word in _PORTAL_WORDS:
        if low.startswith(word):
            return f"fix starts with a portal name ({text[: len(word)]!r}): say the action, the reports link the portal"
    if _NAVIGATION.match(text):
        return "fix starts with navigation ('Go to', 'Open', ...): say the setting to change and its value"
    if _BREADCRUMB.match(text):
        return "fix starts with a menu path ('A > B'): say the setting to change and its value"
    if "\n" in fix:
        return "fix must be one line"
    return None


def is_builtin(policy: Policy) -> bool:
    """Whether the policy is one of the built-in library's."""
    root = builtin_dir("policies").resolve()
    return Path(policy.path).resolve().is_relative_to(root)


def lint_fix(policy: Policy) -> tuple[list[str], list[str]]:
    """(errors, warnings) about the policy's ``fix``: a bad fix is an error; a missing fix is
    an error for a built-in policy and a warning for a user's own."""
    where = f"{policy.rel_path}: {policy.id}"
    if not policy.fix:
        message = f"{where}: no 'fix' (one line: the action that fixes a failure)"
        return ([message], []) if is_builtin(policy) else ([], [message])
    problem = fix_problem(policy.fix)
    return ([f"{where}: {problem}"], []) if problem else ([], [])
