"""``--redact``: pseudonymise personal data in the results document before any report is
written, so every output (results.json, SARIF, HTML, CSV, the console...) says the same thing.

Pseudonyms are keyed: HMAC-SHA256 under a secret key, so two runs with the same key map
a person alike (a new failure can still be told from an old one, and ``--since`` works
between redacted documents), while nobody without the key can test a guess. What is
replaced:

* every user principal name, mail address and display name the snapshot holds for a
  principal (users, groups, service principals, applications, registration records,
  group members, and any nested object that carries a principal name), as an exact value
  whatever characters it holds: a guest's ``alice_fabrikam.com#EXT#@contoso.onmicrosoft.com``
  or ``marc!archer@contoso.com`` is replaced whole, never from its ``#`` or ``!`` on;
* any other address shaped ``local@domain`` whose local part uses the characters Entra
  allows in a user principal name (letters, digits and ``' . - _ ! # ^ ~``, see
  "Username policies" in https://learn.microsoft.com/en-us/entra/identity/authentication/concept-sspr-policy)
  or ``+`` (plus addressing);
* object IDs (GUIDs) that belong to those principals.

Known values are found by whole tokens (a run of letters and digits, a run of spaces, or
one other character), through a trie keyed by token: the cost grows with the text, not
with the number of people, and ``Jan`` is not found inside ``Janet``.

The organisation's name, its domains and tenant ID, policy texts, role names and
well-known IDs (role templates) are kept: they are needed to read the report and are
not personal data. An address at a domain that is not the organisation's (a guest's
mail at their home organisation) loses its domain too.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

#: collections whose records are principals, and the pseudonym word for each
PRINCIPAL_COLLECTIONS = {
    "users": "Person",
    "userRegistrationDetails": "Person",
    "groups": "Group",
    "servicePrincipals": "App",
    "applications": "App",
}
#: compatibility name: the collections that describe people
PERSONAL_COLLECTIONS = tuple(PRINCIPAL_COLLECTIONS)
#: fields holding a principal's name (indexed in principal records only: a conditional
#: access policy's displayName is not personal data)
NAME_FIELDS = ("displayName", "userDisplayName", "givenName", "surname")
#: fields holding a sign-in name or address, wherever they appear (case-insensitive names)
ADDRESS_FIELDS = (
    "userPrincipalName",
    "mail",
    "otherMails",
    "proxyAddresses",
    "mailNickname",
    "primarySmtpAddress",
    "windowsEmailAddress",
    "emailAddresses",
    "userId",
    "issuerAssignedId",
    "signInName",
)
#: the spellings those fields have in Graph (camelCase), Exchange (PascalCase) and exports
_ADDRESS_SPELLINGS = frozenset(
    spelling for f in ADDRESS_FIELDS for spelling in (f, f.lower(), f[0].upper() + f[1:])
)
_ODATA_KINDS = {"user": "Person", "group": "Group", "serviceprincipal": "App", "application": "App"}
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
#: the local part: Entra's user principal name characters plus ``+``; it never starts with
#: a quote or a dot (``'alice@x.com'`` quotes an address)
_LOCAL = r"[\w!#^~+-][\w'.!#^~+-]*"
_EMAIL = re.compile(rf"({_LOCAL})@([\w-]+(?:\.[\w-]+)+)")
_GUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
#: the tokens known values are matched by
_TOKEN = re.compile(r"\w+|\s+|.", re.DOTALL)
_WORDS = re.compile(r"\w+")
_SPACE = " "
#: ``SMTP:``, ``smtp:``, ``SIP:``... before an address in proxyAddresses
_PROXY_PREFIX = re.compile(r"^[A-Za-z0-9]{1,10}:(?=[^:]*@)")
#: trie node member holding what ends there: (pseudonym kind, case-sensitive spellings or None)
_END = "\x00end"


def _token_key(token: str) -> str:
    return _SPACE if token.isspace() else token.casefold()


def _principal_kind(record: Mapping[str, Any], default: str | None) -> str | None:
    odata = record.get("@odata.type")
    if isinstance(odata, str):
        return _ODATA_KINDS.get(odata.rsplit(".", 1)[-1].lower(), default)
    if default is None and isinstance(record.get("userPrincipalName"), str):
        return "Person"  # a nested user object (an assignment's principal, a sign-in's user)
    return default


class Redactor:
    """Keyed, deterministic pseudonyms for the personal values of one snapshot."""

    def __init__(self, key: bytes, records: Mapping[str, Any]) -> None:
        if not key:
            raise ValueError("the redaction key is empty")
        self._key = key
        self._ids: set[str] = set()
        #: token trie of every known value
        self._trie: dict[str, Any] = {}
        self._cache: dict[tuple[str, str], str] = {}
        self._seen: set[tuple[str, str, bool]] = set()
        #: object keys (field names, mostly) seen before, redacted
        self._keys: dict[str, str] = {}
        self._org_domains = _org_domains(records)
        for collection, value in records.items():
            kind = PRINCIPAL_COLLECTIONS.get(collection)
            if collection == "groupMembers" and isinstance(value, Mapping):
                for members in value.values():
                    self._walk(members, "Person")
            else:
                self._walk(value, kind)
        self._seen.clear()  # only indexing needs it
        #: first tokens of known values: words (looked up as a set), and the rest
        self._root_words = frozenset(k for k in self._trie if _WORDS.fullmatch(k))
        self._root_other = frozenset(k for k in self._trie if k not in self._root_words)

    # -- indexing -------------------------------------------------------------------

    def _walk(self, value: Any, kind: str | None) -> None:
        """Index the principals in ``value``: records of a principal collection (``kind``),
        and below them or anywhere else, objects that name a principal. (Plain ``dict`` and
        ``list`` checks: a snapshot is decoded JSON, and this walks all of it.)"""
        stack: list[tuple[Any, str | None]] = [(value, kind)]
        while stack:
            item, default = stack.pop()
            if type(item) is list:
                stack.extend((v, default) for v in item if type(v) is dict or type(v) is list)
                continue
            if type(item) is not dict:
                continue
            record_kind = _principal_kind(item, default)
            if record_kind is not None:
                oid = item.get("id")
                if type(oid) is str:
                    self._ids.add(oid.lower())
                for field in NAME_FIELDS:
                    name = item.get(field)
                    if type(name) is str and len(name.strip()) >= 2:
                        self._add(name, record_kind, exact_case=True)
            for field, field_value in item.items():
                if field in _ADDRESS_SPELLINGS:
                    for text in _strings(field_value):
                        self._add_address(text, record_kind or "Person")
                elif type(field_value) is dict or (
                    type(field_value) is list
                    and field_value
                    and (type(field_value[0]) is dict or type(field_value[0]) is list)
                ):
                    # nested objects are principals only when they say so
                    stack.append((field_value, None))

    def _add_address(self, text: str, kind: str) -> None:
        text = _PROXY_PREFIX.sub("", text.strip())
        if len(text) < 2:
            return
        if _GUID.fullmatch(text):  # a userId that is an object ID: replaced as one
            self._ids.add(text.lower())
            return
        self._add(text, "address" if "@" in text else kind, exact_case=False)

    def _add(self, value: str, kind: str, *, exact_case: bool) -> None:
        seen = (value, kind, exact_case)
        if seen in self._seen:  # group members repeat the same people many times
            return
        self._seen.add(seen)
        value = " ".join(value.split())  # spaces are matched as one token, whatever their run
        node = self._trie
        for token in _TOKEN.findall(value):
            node = node.setdefault(_token_key(token), {})
        end = node.get(_END)
        if end is None:
            node[_END] = (kind, {value} if exact_case else None)
        elif end[1] is not None:
            if exact_case:
                end[1].add(value)
            else:  # an address-like spelling matches in any case
                node[_END] = (end[0] if end[0] == "address" else kind, None)

    # -- pseudonyms -----------------------------------------------------------------

    def _digest(self, kind: str, value: str) -> str:
        return hmac.new(self._key, f"{kind}\x00{value}".encode(), hashlib.sha256).hexdigest()

    def _name(self, kind: str, name: str) -> str:
        out = self._cache.get((kind, name))
        if out is None:
            out = self._cache[(kind, name)] = f"{kind} {self._digest('name', name)[:8]}"
        return out

    def address(self, local: str, domain: str) -> str:
        """``u-<hash>@domain``: the organisation's domain is kept; another organisation's
        (a guest's home domain) is replaced too."""
        folded = domain.casefold()
        if self._org_domains and not any(folded == d or folded.endswith("." + d) for d in self._org_domains):
            domain = f"ext-{self._digest('domain', folded)[:8]}.invalid"
        return f"u-{self._digest('address', f'{local}@{folded}'.casefold())[:10]}@{domain}"

    def object_id(self, value: str) -> str:
        h = self._digest("id", value.lower())
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"

    # -- text -----------------------------------------------------------------------

    def text(self, text: str) -> str:
        """The string with every personal value in it replaced."""
        parts: list[str] = []
        pos = 0
        for start, end, kind in self._known(text):
            parts += [self._patterns(text[pos:start]), self._pseudonym(kind, text[start:end])]
            pos = end
        if not parts:
            return self._patterns(text)
        parts.append(self._patterns(text[pos:]))
        return "".join(parts)

    def _pseudonym(self, kind: str, value: str) -> str:
        if kind == "address":
            local, _, domain = value.rpartition("@")
            return self.address(local, domain)
        return self._name(kind, " ".join(value.split()))

    def _known(self, text: str) -> Iterator[tuple[int, int, str]]:
        """(start, end, kind) of each known value in ``text``, longest first, left to right."""
        root = self._trie
        if not root:
            return
        folded = text.casefold()
        if not self._root_other and self._root_words.isdisjoint(_WORDS.findall(folded)):
            return  # no word of the text starts a known value (most evidence values)
        if len(folded) == len(text):  # offsets agree: one casefold for the whole text
            tokens = [
                (m.start(), m.end(), _SPACE if m.group().isspace() else m.group())
                for m in _TOKEN.finditer(folded)
            ]
        else:
            tokens = [(m.start(), m.end(), _token_key(m.group())) for m in _TOKEN.finditer(text)]
        i = 0
        while i < len(tokens):
            node = root.get(tokens[i][2])
            if node is None:
                i += 1
                continue
            best: tuple[int, str] | None = None
            j = i
            while node is not None:
                end = node.get(_END)
                if end is not None:
                    spellings = end[1]
                    found = text[tokens[i][0] : tokens[j][1]]
                    if spellings is None or " ".join(found.split()) in spellings:
                        best = (j, end[0])
                j += 1
                node = node.get(tokens[j][2]) if j < len(tokens) else None
            if best is None:
                i += 1
                continue
            yield tokens[i][0], tokens[best[0]][1], best[1]
            i = best[0] + 1

    def _patterns(self, text: str) -> str:
        """Addresses nobody indexed, and the principals' object IDs."""
        if "@" in text:
            text = _EMAIL.sub(lambda m: self.address(m.group(1), m.group(2)), text)
        if "-" in text and self._ids:
            text = _GUID.sub(
                lambda m: self.object_id(m.group(0)) if m.group(0).lower() in self._ids else m.group(0), text
            )
        return text

    def value(self, value: Any, *, policy_text: bool = False) -> Any:
        """Any JSON value, redacted recursively (object keys too: evidence may be keyed by UPN)."""
        if isinstance(value, str):
            return value if policy_text else self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, Mapping):
            return {self._object_key(str(k)): self.value(v) for k, v in value.items()}
        return value

    def _object_key(self, key: str) -> str:
        """An object key: a field name, repeated in every finding's evidence (so remembered),
        or a principal's name or address when evidence is keyed by them."""
        out = self._keys.get(key)
        if out is None:
            out = self.text(key)
            if len(self._keys) < 100_000:
                self._keys[key] = out
        return out


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        yield from (v for v in value if isinstance(v, str))


def _org_domains(records: Mapping[str, Any]) -> frozenset[str]:
    """The organisation's own domains (``domains`` ids, the organisation's verified domains)."""
    out: set[str] = set()
    for record in records.get("domains") or ():
        if isinstance(record, Mapping) and isinstance(record.get("id"), str):
            out.add(record["id"].casefold())
    for org in records.get("organization") or ():
        if not isinstance(org, Mapping):
            continue
        for domain in org.get("verifiedDomains") or ():
            if isinstance(domain, Mapping) and isinstance(domain.get("name"), str):
                out.add(domain["name"].casefold())
    return frozenset(out)


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
