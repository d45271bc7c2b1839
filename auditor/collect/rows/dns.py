"""Public DNS rows (the ``dns`` reader): collected only when named in ``--sources``."""

from __future__ import annotations

from auditor.collect.source import (
    Source,
)

DNS: tuple[Source, ...] = (
    Source(
        "dnsTxtRecords",
        "dns",
        "TXT",
        (),
        version="",
        note="public DNS TXT records of the accepted (else verified) domains, their _dmarc. names and DKIM "
        "selectors (selector1._domainkey., selector2._domainkey.)",
        after=("exchangeAcceptedDomains", "domains"),
    ),
)
