"""Fixtures for the collector tests: a local Graph-compatible server and a quick way to
collect from it through the real msgraph-sdk / azure-identity code paths."""

from __future__ import annotations

import base64
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# tests.graphserver is a test-support package beside this folder; make the repository root
# importable however pytest was started (pyproject.toml sets no pythonpath).
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from auditor.collect.auth import build_credential  # noqa: E402
from auditor.collect.catalog import select_sources  # noqa: E402
from auditor.collect.fetching import RetryPolicy  # noqa: E402
from auditor.collect.runner import CollectOptions, collect  # noqa: E402
from tests.graphserver import GraphServer  # noqa: E402

SECRET_TOKEN = "tok-SECRET-7f3a9c1e-do-not-leak"


def make_jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT-shaped token (the server compares it as an opaque string)."""

    def enc(obj: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{enc({'alg': 'none', 'typ': 'JWT'})}.{enc(claims)}.c2lnbmF0dXJlLXNlY3JldA"


@pytest.fixture
def server() -> Iterator[GraphServer]:
    with GraphServer(users=120, token=SECRET_TOKEN) as srv:
        yield srv


def fast_policy(**kw: Any) -> RetryPolicy:
    base: dict[str, Any] = {
        "max_retries": 3,
        "budget_seconds": 30.0,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
    }
    base.update(kw)
    return RetryPolicy(**base)


def run_collect(
    srv: GraphServer,
    names: list[str] | None = None,
    *,
    out: Path | None = None,
    token: str = SECRET_TOKEN,
    retry: RetryPolicy | None = None,
    timeout: float = 10.0,
    concurrency: int = 6,
    **kw: Any,
) -> dict[str, Any]:
    auth = build_credential("token", env={"AUDITOR_ACCESS_TOKEN": token})
    options = CollectOptions(
        sources=tuple(select_sources(names)),
        graph_url=srv.url,
        exchange_url=srv.url,
        arm_url=srv.url,
        sharepoint_url=srv.url,
        activity_url=srv.url,
        powerbi_url=srv.url,
        powerplatform_url=srv.url,
        retry=retry or fast_policy(),
        timeout=timeout,
        concurrency=concurrency,
        **kw,
    )
    return collect(auth, options, out=out)


def cli_args(srv: GraphServer, out: Path, *extra: str) -> list[str]:
    return [
        "collect",
        "--out",
        str(out),
        "--auth",
        "token",
        "--graph-url",
        srv.url,
        "--exchange-url",
        srv.url,
        "--arm-url",
        srv.url,
        "--activity-url",
        srv.url,
        "--quiet",
        *extra,
    ]
