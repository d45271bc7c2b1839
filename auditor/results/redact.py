"""``--redact``: pseudonymise personal data in the results document before any report is
written, so every output (results.json, SARIF, HTML, CSV, ...) says the same thing.

Pseudonyms are keyed: HMAC-SHA256 under a secret key, so two runs with the same key map
a person alike (a new failure can still be told from an old one, and ``--since`` works
between redacted documents), while nobody without the key can test a guess. What is
replaced:

* display names, user principal names, mail addresses and object IDs of the users,
  groups and registration records in the snapshot, wherever they appear in the
  document (subjects, messages, evidence, params);
* any other mail address or user principal name (anything shaped ``local@domain``);
* object IDs (GUIDs) that belong to those users and groups.

The organisation's name, domains and tenant ID, policy texts, role names and
well-known IDs (role templates) are kept: they are needed to read the report and are
not personal data.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from typing import Any

#: collections whose records describe people (or groups of people)
PERSONAL_COLLECTIONS = ("users", "userRegistrationDetails", "groups")
NAME_FIELDS = ("displayName", "userDisplayName", "givenName", "surname")
ADDRESS_FIELDS = ("userPrincipalName", "mail", "otherMails", "proxyAddresses", "mailNickname")
#: result members that are policy text, not tenant data
_POLICY_TEXT = frozenset(
    {
        "policyId",
        "title",
        "remediation",
        "description",
        "rationale",
        "references",
        "policyFile",
        "policySha256",
        "tags",
        "requires",
        "frameworks",
        "manual",
    }
)
_EMAIL = re.compile(r"(?<![\w.+-])([A-Za-z0-9_.+'-]+)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_GUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
#: a word: where a name may start (names are indexed by their first word)
_WORD_START = re.compile(r"(?<!\w)[\w'-]+")


class Redactor:
    """Keyed, deterministic pseudonyms for the personal values of one snapshot."""

    def __init__(self, key: bytes, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
        if not key:
            raise ValueError("the redaction key is empty")
        self._key = key
        self._ids: set[str] = set()
        self._names: dict[str, str] = {}
        for collection in PERSONAL_COLLECTIONS:
            kind = "Group" if collection == "groups" else "Person"
            for record in records.get(collection) or ():
                if not isinstance(record, Mapping):
                    continue
                if isinstance(record.get("id"), str):
                    self._ids.add(record["id"].lower())
                for field in NAME_FIELDS:
                    value = record.get(field)
                    if isinstance(value, str) and len(value.strip()) >= 2:
                        self._names.setdefault(value, f"{kind} {self._digest('name', value)[:8]}")
        # names by first word, longest first, so "Ann Lee-Smith" wins over "Ann Lee"
        self._by_first: dict[str, list[str]] = {}
        for name in sorted(self._names, key=len, reverse=True):
            first = _WORD_START.match(name)
            if first:
                self._by_first.setdefault(first.group(0).casefold(), []).append(name)

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def address(self, local: str, domain: str) -> str:
        """``u-<hash>@domain``: the domain is the organisation's, not the person's."""
        return f"u-{self._digest('address', f'{local}@{domain}'.casefold())[:10]}@{domain}"

    def object_id(self, value: str) -> str:
        h = self._digest("id", value.lower())
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    def text(self, text: str) -> str:
        """The string with every personal value in it replaced."""
        if text in self._names:
            return self._names[text]
        out = _EMAIL.sub(lambda m: self.address(m.group(1), m.group(2)), text)
        out = _GUID.sub(
            lambda m: self.object_id(m.group(0)) if m.group(0).lower() in self._ids else m.group(0), out
        )
        return self._replace_names(out) if self._names else out

    def _replace_names(self, text: str) -> str:
        parts: list[str] = []
        pos = 0
        for m in _WORD_START.finditer(text):
            start = m.start()
            if start < pos:
                continue
            for name in self._by_first.get(m.group(0).casefold(), ()):
                stop = start + len(name)
                if text.startswith(name, start) and (stop == len(text) or not text[stop].isalnum()):
                    parts += [text[pos:start], self._names[name]]
                    pos = stop
                    break
        parts.append(text[pos:])
        return "".join(parts)

    def value(self, value: Any, *, policy_text: bool = False) -> Any:
        """Any JSON value, redacted recursively (object keys too: evidence may be keyed by UPN)."""
        if isinstance(value, str):
            return value if policy_text else self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.value(v) for k, v in value.items()}
        return value


def redact_document(doc: Mapping[str, Any], redactor: Redactor) -> dict[str, Any]:
    """A copy of the results document with personal data pseudonymised; the organisation,
    the policies' own texts and the hashes are kept."""
    out = dict(doc)
    out["results"] = [
        {k: (v if k in _POLICY_TEXT else redactor.value(v)) for k, v in r.items()}
        for r in doc.get("results", [])
    ]
    baseline = dict(doc.get("baseline") or {})
    if "params" in baseline:
        baseline["params"] = redactor.value(baseline["params"])
    out["baseline"] = baseline
    invocation = dict(doc.get("invocation") or {})
    if "params" in invocation:
        invocation["params"] = redactor.value(invocation["params"])
    invocation["redacted"] = True
    out["invocation"] = invocation
    return out


def load_key(env_value: str | None, key_file_text: bytes | None) -> bytes:
    """The redaction key: the key file's bytes (trailing newline removed), else the
    environment variable's value."""
    if key_file_text is not None:
        return key_file_text.rstrip(b"\r\n")
    return (env_value or "").encode()
