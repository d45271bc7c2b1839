"""One reader per API kind, and the table that names them.

A catalog row names its reader (``Source.reader``); :data:`READERS` maps that name to the reader's
class. The runner builds its own instances per run (:func:`build_readers`), so no state is shared
between runs. A new API is one module here plus one line in :data:`READERS`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from auditor.collect.readers.activity import ActivityReader, RecentActivityReader
from auditor.collect.readers.arm import ArmReader, SentinelReader
from auditor.collect.readers.base import ReadContext, Reader
from auditor.collect.readers.dns import DnsReader
from auditor.collect.readers.exchange import ExchangeReader
from auditor.collect.readers.graph import GraphMembersReader, GraphReader
from auditor.collect.readers.imports import ImportReader
from auditor.collect.readers.power import PowerBiReader, PowerPlatformReader
from auditor.collect.readers.sharepoint import SharePointReader

if TYPE_CHECKING:
    from auditor.collect.catalog import Source

__all__ = ["READERS", "ReadContext", "Reader", "build_readers", "endpoint_of"]

#: reader name (``Source.reader``) -> reader class; read-only
READERS: Mapping[str, type[Reader]] = MappingProxyType(
    {
        "graph": GraphReader,
        "graphMembers": GraphMembersReader,
        "exchange": ExchangeReader,
        "arm": ArmReader,
        "sentinel": SentinelReader,
        "office365": ActivityReader,
        "recentActivity": RecentActivityReader,
        "sharepoint": SharePointReader,
        "powerbi": PowerBiReader,
        "powerplatform": PowerPlatformReader,
        "dns": DnsReader,
        "import": ImportReader,
    }
)


def build_readers() -> dict[str, Reader]:
    """Fresh reader instances for one run."""
    return {name: cls() for name, cls in READERS.items()}


def endpoint_of(source: Source) -> str:
    """The endpoint the reader a row names records for it."""
    return READERS[source.reader].endpoint(source)
