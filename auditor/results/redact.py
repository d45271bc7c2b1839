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
#: a run of non-space characters: names are matched as whole runs of words
_WORD = re.compile(r"\S+")
#: punctuation that may follow a name in a sentence
_TRAILING = ",.;:!?)]}\"'"
_LEADING = "\"'([{"


class Redactor:
    """Keyed, deterministic pseudonyms for the personal values of one snapshot."""

    def __init__(self, key: bytes, records: Mapping[str, Iterable[Mapping[str, Any]]]) -> None:
        if not key:
            raise ValueError("the redaction key is empty")
        self._key = key
        self._ids: set[str] = set()
        #: name -> "Person"/"Group"; pseudonyms are computed when a name is met, and cached
        self._kinds: dict[str, str] = {}
        self._cache: dict[str, str] = {}
        for collection in PERSONAL_COLLECTIONS:
            kind = "Group" if collection == "groups" else "Person"
            for record in records.get(collection) or ():
                if not isinstance(record, Mapping):
                    continue
                oid = record.get("id")
                if isinstance(oid, str):
                    self._ids.add(oid.lower())
                for field in NAME_FIELDS:
                    value = record.get(field)
                    if isinstance(value, str) and len(value.strip()) >= 2:
                        self._kinds.setdefault(value, kind)
        #: the most words in a name: how far a match is tried from each word of a text
        self._max_words = max((len(n.split()) for n in self._kinds), default=0)

    def _name(self, name: str) -> str:
        out = self._cache.get(name)
        if out is None:
            out = self._cache[name] = f"{self._kinds[name]} {self._digest('name', name)[:8]}"
        return out

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
        if text in self._kinds:
            return self._name(text)
        out = text
        if "@" in out:
            out = _EMAIL.sub(lambda m: self.address(m.group(1), m.group(2)), out)
        if "-" in out and self._ids:
            out = _GUID.sub(
                lambda m: self.object_id(m.group(0)) if m.group(0).lower() in self._ids else m.group(0), out
            )
        if self._kinds and (" " in out or any(c in out for c in _LEADING)):
            out = self._replace_names(out)
        return out

    def _replace_names(self, text: str) -> str:
        """Replace known names: from each word, try the longest run of words first (a name is
        looked up whole, so the cost does not grow with the number of people)."""
        words = [(m.start(), m.end()) for m in _WORD.finditer(text)]
        parts: list[str] = []
        pos = 0
        i = 0
        while i < len(words):
            first = text[words[i][0] : words[i][1]]
            start = words[i][0] + len(first) - len(first.lstrip(_LEADING))
            for k in range(min(self._max_words, len(words) - i), 0, -1):
                end = words[i + k - 1][1]
                candidate = text[start:end]
                if " ".join(candidate.split()) != candidate:
                    continue
                trimmed = candidate.rstrip(_TRAILING)
                name = candidate if candidate in self._kinds else trimmed if trimmed in self._kinds else None
                if name is not None:
                    parts += [text[pos:start], self._name(name)]
                    pos = start + len(name)
                    i += k
                    break
            else:
                i += 1
        parts.append(text[pos:])
        return "".join(parts)

    def _key_text(self, key: str) -> str:
        """An object key: usually a field name, redacted only when it is personal data."""
        if "@" in key or key in self._kinds or key.lower() in self._ids:
            return self.text(key)
        return key

    def value(self, value: Any, *, policy_text: bool = False) -> Any:
        """Any JSON value, redacted recursively (object keys too: evidence may be keyed by UPN)."""
        if isinstance(value, str):
            return value if policy_text else self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, Mapping):
            return {self._key_text(str(k)): self.value(v) for k, v in value.items()}
        return value


def redact_document(doc: Mapping[str, Any], redactor: Redactor) -> dict[str, Any]:
    """A copy of the results document with personal data pseudonymised; the organisation,
    the policies' own texts and the hashes are kept."""
    out = dict(doc)
    out["results"] = [
        {k: (v if k in _POLICY_TEXT else redactor.value(v)) for k, v in r.items()}
        for r in doc.get("results", [])
    ]
    snapshot = dict(doc.get("snapshot") or {})
    if "sources" in snapshot:  # collection errors may quote a principal's name
        snapshot["sources"] = redactor.value(snapshot["sources"])
    out["snapshot"] = snapshot
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
