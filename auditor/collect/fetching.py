"""What every API family shares: retries, paging bookkeeping and error classification.

Graph (through msgraph-sdk's pipeline), Exchange and Resource Manager (through httpx)
each only know how to send one request and return a :class:`RawResponse`. Everything
else — honouring Retry-After within a time budget, counting retries, following
``@odata.nextLink`` to the very end, and turning a failure into a ``sources`` status —
lives here once, so the three families cannot drift apart.

Why our own retry loop: the SDK's ``RetryHandler`` does not report how many retries it
made and silently returns the 429 when Retry-After is 180 s or more. We set its
``RetryHandlerOption`` to zero retries on every request and retry here instead.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from auditor.collect.catalog import Source
from auditor.collect.pagejson import MalformedPage, Page, ResponseTooLarge, decode_page
from auditor.collect.spool import Spool, SpoolWriter
from auditor.snapshot.collections import Shape
from auditor.snapshot.encoding import encode_value

RETRY_STATUSES = frozenset({429, 503, 504})
LICENCE_CODES = frozenset(
    {
        "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
        "AadPremiumLicenseRequired",
        "Request_UnsupportedTenantLicense",
        "TenantNotLicensed",
    }
)
LICENCE_MARKERS = (
    "valid license",
    "premium license",
    "license is required",
    "not licensed",
    "requires a license",
    "p1 or p2",
    "p2 license",
    "licence",
)
# A rejected query (Request_UnsupportedQuery) is our bug, not an unsupported endpoint: it stays `error`.
UNSUPPORTED_CODES = frozenset(
    {"NotSupported", "ResourceNotFound", "InvalidResourceType", "NoRegisteredProviderFound"}
)
UNSUPPORTED_MARKERS = ("not found for the segment", "not supported", "is not available")


#: texts that must never be stored: the token in use, client secrets (registered by auth)
_SECRETS: set[str] = set()
_SECRET_PATTERNS = (
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"),  # JWTs
    re.compile(
        r"(?i)\b(access_token|refresh_token|id_token|client_secret|client_assertion|password|sig|code)"
        r"([\"']?\s*[=:]\s*[\"']?)[^\s\"'&,;}]{4,}"
    ),
)
REDACTED = "[redacted]"


def register_secret(value: str | None) -> None:
    """Remember a secret (a token, a client secret) so that no stored server text repeats it."""
    if value and len(value) >= 8:
        _SECRETS.add(value)


def redact(text: str) -> str:
    """``text`` with bearer tokens, JWTs, ``secret=...`` pairs and registered secrets removed.

    Servers echo what they were sent: an error text may quote the Authorization header
    or a URL with a signature, and error texts go into the snapshot and every report.
    """
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, REDACTED)
    text = _SECRET_PATTERNS[0].sub(lambda m: f"{m.group(1)} {REDACTED}", text)
    text = _SECRET_PATTERNS[1].sub(REDACTED, text)
    return _SECRET_PATTERNS[2].sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)


#: how an API is named in an error message
API_LABELS = {
    "graph": "Microsoft Graph",
    "exchange": "Exchange admin API",
    "arm": "Azure Resource Manager",
    "office365": "Office 365 Management Activity API",
    "sharepoint": "SharePoint admin API",
    "composite": "several APIs",
}


def utc_now() -> str:
    """An RFC 3339 UTC timestamp with second precision, the snapshot's time format."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries for throttling and transient faults.

    ``budget_seconds`` is the time the whole collection run may spend; a Retry-After
    that would overrun it ends the collection with an ``error`` rather than sleeping
    past the CI job's timeout.
    """

    max_retries: int = 6
    budget_seconds: float = 900.0
    backoff_base: float = 1.0
    backoff_max: float = 60.0
    retry_timeouts: bool = True
    #: wall-clock seconds one request may take, headers *and* body (``--timeout``); a server
    #: trickling one byte at a time never trips a per-read timeout, so this bounds the whole
    request_seconds: float | None = None


@dataclass(frozen=True)
class RawResponse:
    """One HTTP response as bytes: nothing parsed, nothing typed."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    #: the URL that finally answered (after any redirect the HTTP stack followed)
    url: str = ""
    #: the body already decoded by :func:`decode_page` (an adapter such as :func:`odata_paged`
    #: reshaped it); None: the pager decodes ``body`` itself
    page: Page | None = None


@dataclass
class Progress:
    """Live counters one collection updates and the progress display reads."""

    name: str
    pages: int = 0
    objects: int = 0
    retries: int = 0
    done: bool = False
    status: str = "running"


@dataclass(frozen=True)
class CollectionResult:
    """The outcome of one collection: its ``sources`` entry and (only when ok) its data."""

    name: str
    status: str
    endpoint: str
    retrieved_at: str
    # repr=False: asyncio may repr a finished task's result (100,000 users: seconds of CPU)
    data: Any = field(default=None, repr=False)
    count: int | None = None
    pages: int = 0
    retries: int = 0
    http_status: int | None = None
    error: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def source_entry(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"status": self.status, "endpoint": self.endpoint}
        if self.count is not None:
            entry["count"] = self.count
        entry["retrievedAt"] = self.retrieved_at
        if self.http_status is not None:
            entry["httpStatus"] = self.http_status
        if self.error:
            entry["error"] = self.error
        entry["pages"] = self.pages
        entry["retries"] = self.retries
        entry.update(self.extra)
        return entry


class FetchFailure(Exception):
    """A collection cannot be completed; carries the ``sources`` status to record."""

    def __init__(self, status: str, error: str, http_status: int | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.http_status = http_status


def parse_error_body(body: bytes) -> tuple[str, str]:
    """(code, message) from a Graph/ARM/Exchange error body; tolerant of anything.

    Decoded as strictly as a page: an error body with two ``code`` keys must not choose,
    by which one a lenient parser keeps, between ``forbidden`` and ``not_licensed``. A body
    that is not strict JSON is shown as text and classified by its HTTP status alone.
    """
    try:
        doc = decode_page(body, "error response").doc
    except MalformedPage:
        text = body[:200].decode("utf-8", "replace").strip()
        return "", text
    err = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(err, dict):
        code = str(err.get("code") or "")
        message = str(err.get("message") or "")
        inner = err.get("innerError") or err.get("innererror")
        if isinstance(inner, dict) and inner.get("code") and not code:
            code = str(inner["code"])
        return code, message
    if isinstance(err, str):
        return err, str(doc.get("error_description") or "")
    return "", ""


def _trim(text: str, limit: int = 300) -> str:
    """Server text made fit to store: secrets redacted, whitespace folded, length bounded."""
    text = " ".join(redact(text[:4000]).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


TOKEN_CODES = frozenset({"ExpiredAuthenticationToken", "TokenExpired", "InvalidAuthenticationTokenAudience"})
TOKEN_MARKERS = ("expired", "revoked", "lifetime validation failed")


def classify(source: Source, response: RawResponse, *, token_accepted_before: bool = False) -> FetchFailure:
    """Turn a non-success response into the right ``sources`` status.

    Licence errors come first because Graph sends them as 403 too; a 403 that is not
    about licences names the permission the catalog says is missing. A 401 from a host
    that accepted the same token earlier in the run is not a missing permission: the
    token expired or was revoked, and every later collection would fail the same way.
    """
    status = response.status
    code, message = parse_error_body(response.body)
    label = f"{code}: {message}" if code else (message or f"HTTP {status}")
    lowered = f"{code} {message}".lower()
    if status == 401 and (
        token_accepted_before or code in TOKEN_CODES or any(m in lowered for m in TOKEN_MARKERS)
    ):
        return FetchFailure("error", _trim(f"token expired or revoked (HTTP 401: {label})"), status)
    if code in LICENCE_CODES or any(m in lowered for m in LICENCE_MARKERS):
        needs = f" (needs {source.licence})" if source.licence else ""
        return FetchFailure("not_licensed", _trim(label) + needs, status)
    if status in (401, 403):
        needs = ", ".join(source.permissions)
        if source.directory_role:
            needs += f" and the role {source.directory_role}"
        prefix = code or ("Unauthorized" if status == 401 else "Forbidden")
        return FetchFailure(
            "forbidden", _trim(f"{prefix}: needs {needs}" + (f" ({message})" if message else "")), status
        )
    if (
        status == 404
        or status == 405
        or (status == 400 and (code in UNSUPPORTED_CODES or any(m in lowered for m in UNSUPPORTED_MARKERS)))
    ):
        return FetchFailure("not_supported", _trim(label), status)
    return FetchFailure("error", _trim(label), status)


class Deadline:
    """The run-wide time budget shared by every collection."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        #: "api origin" pairs that accepted our token during this run (a later 401: it expired)
        self.accepted: set[str | None] = set()

    def remaining(self) -> float:
        return self.end - time.monotonic()


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after") or headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return max(0.0, (when - datetime.now(when.tzinfo or UTC)).total_seconds())


SendFn = Callable[[str], Awaitable[RawResponse]]


def transport_problem(exc: BaseException, url: str) -> str:
    """What went wrong below HTTP, in words a reader can act on: "connection refused to host:port".

    httpx reports a refused connection as "All connection attempts failed"; the cause it chains
    (an ``OSError`` with an errno) says which, and fifty collections failing alike are then
    grouped under one reason by ``auditor collect``.
    """
    import socket

    where = origin(url).split("://", 1)[-1]
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ConnectionRefusedError):
            return f"connection refused to {where}"
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve {urlsplit(url).hostname} ({cause.strerror or cause})"
        if isinstance(cause, OSError) and cause.errno is not None:
            return f"cannot connect to {where}: {cause.strerror or cause}"
        cause = cause.__cause__ or cause.__context__
    return f"transport error: {type(exc).__name__}: {exc}"


async def send_with_retries(
    send: SendFn, url: str, source: Source, policy: RetryPolicy, deadline: Deadline, progress: Progress
) -> RawResponse:
    """Send one request, retrying 429/503/504 and timeouts within the policy.

    Returns the final response (any status); raises :class:`FetchFailure` when the
    transport itself keeps failing or the budget runs out.
    """
    import httpx

    attempt = 0
    while True:
        if deadline.remaining() <= 0:
            raise FetchFailure("error", f"the time budget ran out (after {attempt} retries)")
        failure: str | None = None
        response: RawResponse | None = None
        wall = min(policy.request_seconds or deadline.remaining(), max(deadline.remaining(), 0.001))
        try:
            response = await asyncio.wait_for(send(url), timeout=wall)
        except TimeoutError:
            failure = f"timeout: no complete response within {wall:.0f} s"
            if not policy.retry_timeouts or deadline.remaining() <= 0:
                raise FetchFailure("error", failure) from None
        except ResponseTooLarge as exc:
            raise FetchFailure("error", f"{API_LABELS.get(source.api, source.api)}: {exc}") from None
        except httpx.TimeoutException as exc:
            failure = f"timeout: {type(exc).__name__}"
            if not policy.retry_timeouts:
                raise FetchFailure("error", failure) from None
        except httpx.HTTPError as exc:
            raise FetchFailure("error", _trim(transport_problem(exc, url))) from None
        if response is not None and response.status not in RETRY_STATUSES:
            return response
        if attempt >= policy.max_retries:
            if response is not None:
                fail = classify(source, response)
                raise FetchFailure(
                    fail.status, f"{fail.error} (gave up after {attempt} retries)", response.status
                )
            raise FetchFailure("error", f"{failure} (gave up after {attempt} retries)")
        delay = _retry_after(response.headers) if response is not None else None
        if delay is None:
            delay = min(policy.backoff_max, policy.backoff_base * 2**attempt)
        if delay > deadline.remaining():
            what = f"HTTP {response.status}" if response is not None else failure
            raise FetchFailure(
                "error",
                f"{what}: retry in {delay:.0f} s would exceed the time budget (after {attempt} retries)",
                response.status if response is not None else None,
            )
        attempt += 1
        progress.retries += 1
        await asyncio.sleep(delay)


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL (the port made explicit)."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.scheme}://{parts.hostname}:{port}"


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs share scheme, host and port (a nextLink must not leak the token)."""
    return origin(a) == origin(b)


def _redirect_target(url: str, response: RawResponse) -> str:
    """Where a redirect within the same origin leads; any other redirect is a failure.

    Followed to another host, a redirect loses the token and brings back that host's
    answer: an empty page there would end the collection early and pass it as ``ok``.
    """
    location = response.headers.get("location") or response.headers.get("Location")
    if not location:
        raise FetchFailure("error", f"HTTP {response.status} redirect without a Location", response.status)
    target = urljoin(url, location)
    if not same_origin(target, url):
        raise FetchFailure(
            "error",
            f"the server redirected to another host ({_trim(origin(target), 120)}); not followed",
            response.status,
        )
    return target


async def collect_pages(
    source: Source,
    first_url: str,
    send: SendFn,
    policy: RetryPolicy,
    deadline: Deadline,
    progress: Progress,
    *,
    shape: Shape | None = None,
    spool: Spool | None = None,
) -> CollectionResult:
    """Read a collection to the end: every page, empty ones included, then shape it.

    ``shape`` overrides the collection's own shape for a request that reads one part of a
    composite collection (the list behind one key of ``recentAuditActivity``).
    With ``spool``, a list collection's items go to a spool file page by page and the result's
    data is a :class:`~auditor.collect.spool.SpooledList`; nothing of a failed one remains.
    Never raises for API faults: a failure becomes a result without data.
    """
    shape = shape or source.shape
    writer: SpoolWriter | None = spool.open(source.name) if spool is not None and shape == "list" else None
    try:
        return await _read_pages(source, first_url, send, policy, deadline, progress, shape, writer)
    except BaseException:
        if writer is not None:
            writer.discard()
        raise


async def _read_pages(
    source: Source,
    first_url: str,
    send: SendFn,
    policy: RetryPolicy,
    deadline: Deadline,
    progress: Progress,
    shape: Shape,
    writer: SpoolWriter | None,
) -> CollectionResult:
    endpoint = source.endpoint
    items: list[Any] = []
    count = 0
    obj: dict[str, Any] | None = None
    url: str | None = first_url
    seen: set[str] = set()
    try:
        while url is not None:
            if url in seen:
                raise FetchFailure("error", "the server repeated an @odata.nextLink (paging loop)")
            seen.add(url)
            response = await send_with_retries(send, url, source, policy, deadline, progress)
            if response.url and not same_origin(response.url, url):
                # the reply of another host, reached without our token, is not this collection
                raise FetchFailure(
                    "error",
                    f"the server redirected to another host ({origin(response.url)}); "
                    "its answer was not used",
                    response.status,
                )
            if 300 <= response.status < 400:
                url = _redirect_target(url, response)
                continue
            # Graph and Resource Manager answer a missing permission with 403, so their 401
            # after an earlier success means the token died; Exchange's admin API sends 401
            # for a missing role too, so only its error text can tell.
            audience = f"{source.api} {origin(url)}" if source.api != "exchange" else None
            if not 200 <= response.status < 300:
                raise classify(source, response, token_accepted_before=audience in deadline.accepted)
            if audience is not None:
                deadline.accepted.add(audience)
            try:
                # as strict as the snapshot reader: what is stored must read back (no NaN,
                # duplicate keys, lone surrogates, runaway nesting or integers)
                page = response.page if response.page is not None else decode_page(response.body)
            except MalformedPage as exc:
                api = API_LABELS.get(source.api, source.api)
                raise FetchFailure(
                    "error", _trim(f"malformed JSON in the {api} response: {exc}"), response.status
                ) from None
            doc = page.doc
            if not isinstance(doc, dict):
                raise FetchFailure("error", "the response is not a JSON object", response.status)
            progress.pages += 1
            values = doc.get("value")
            if shape == "object" and source.api in ("graph", "sharepoint", "powerplatform"):
                for key in ("@odata.context", "odata.metadata", "@odata.type", "odata.type"):
                    doc.pop(key, None)
                obj = doc
                progress.objects = 1
                break
            if not isinstance(values, list) or page.items is None:
                raise FetchFailure("error", "the response has no 'value' list", response.status)
            if writer is not None:
                writer.append(page.items, len(values))
            else:
                items.extend(values)
            count += len(values)
            progress.objects = count
            next_link = doc.get("@odata.nextLink")
            if not source.paged or next_link is None:
                break
            if not isinstance(next_link, str) or not same_origin(next_link, first_url):
                raise FetchFailure(
                    "error", "@odata.nextLink points to another host; not followed", response.status
                )
            url = next_link
    except FetchFailure as failure:
        if writer is not None:
            writer.discard()
        progress.status = failure.status
        progress.done = True
        return CollectionResult(
            source.name,
            failure.status,
            endpoint,
            utc_now(),
            pages=progress.pages,
            retries=progress.retries,
            http_status=failure.http_status,
            error=failure.error,
        )
    data: Any
    extra: dict[str, Any] = {}
    if shape == "object":
        if obj is None:
            if len(items) != 1:
                progress.status = "error"
                progress.done = True
                return CollectionResult(
                    source.name,
                    "error",
                    endpoint,
                    utc_now(),
                    pages=progress.pages,
                    retries=progress.retries,
                    error=f"expected exactly one object, the API returned {len(items)}",
                )
            obj = items[0]
            if not isinstance(obj, dict):
                progress.status = "error"
                progress.done = True
                return CollectionResult(
                    source.name,
                    "error",
                    endpoint,
                    utc_now(),
                    pages=progress.pages,
                    retries=progress.retries,
                    error="the API returned a non-object",
                )
        data, count = obj, 1
    elif writer is not None:
        data = writer.finish()
    else:
        data = items
    progress.status = "ok"
    progress.done = True
    return CollectionResult(
        source.name,
        "ok",
        endpoint,
        utc_now(),
        data=data,
        count=count,
        pages=progress.pages,
        retries=progress.retries,
        extra=extra,
    )


def odata_paged(send: SendFn, *, next_header: str | None = None, next_key: str | None = None) -> SendFn:
    """Present another API's paging in Graph's form, so that :func:`collect_pages` serves it.

    The Management Activity API answers with a bare JSON array and puts the next page's
    address in a ``NextPageUri`` header; Resource Manager uses a ``nextLink`` property. Both
    become ``{"value": [...], "@odata.nextLink": ...}``; the items themselves are untouched.
    Anything that is not a successful JSON answer passes through for the pager to judge.

    The answer is decoded here by the pager's own strict :func:`decode_page` (a lenient
    parser would keep the last of two ``status`` keys and hide the duplicate from the pager);
    one it refuses passes through undecoded, and the pager refuses it again with the reason.
    """

    async def wrapped(url: str) -> RawResponse:
        response = await send(url)
        if not 200 <= response.status < 300:
            return response
        try:
            page = decode_page(response.body)
        except MalformedPage:
            return response
        doc = page.doc
        items: bytes | None
        if isinstance(doc, list):
            doc, items = {"value": doc}, encode_value(doc)
        elif isinstance(doc, dict):
            items = page.items
        else:
            return response
        link = response.headers.get(next_header) if next_header else None
        if next_key:
            link = doc.pop(next_key, None) or link
        if link:
            doc["@odata.nextLink"] = link
        return dataclasses.replace(response, page=Page(doc, items))

    return wrapped
