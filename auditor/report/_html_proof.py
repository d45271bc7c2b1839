"""The proof block of ``report.html``: the hashes that tie the printed page to its inputs.

Why: a printed report travels as a PDF attachment, without the embedded results document.
Its first page names the snapshot's sha256, the results document's integrity hash, the
policy set digest (the one a signed attestation covers, see :mod:`auditor.results.attest`),
the tenant, the collection time and the tool version, so a receiver holding the files can
check that this paper describes them (``auditor verify``).
"""

from __future__ import annotations

import html

from auditor.report._common import Doc
from auditor.report._html_text import CELL_MAX
from auditor.results.attest import document_policy_set


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def proof_block(doc: Doc) -> str:
    """A compact table of the facts and hashes, for the first page."""
    snap = doc["snapshot"]
    tenant = snap.get("tenant") or {}
    integrity = doc.get("integrity")
    policy_set, count = document_policy_set(doc)
    rows = [
        ("Tenant", f"{tenant.get('displayName') or ''} ({tenant.get('id') or 'no id'})", False),
        ("Collected", snap.get("collectedAt") or "", False),
        ("Snapshot sha256", snap["sha256"], True),
        (
            "Results integrity",
            f"{integrity['algorithm']} {integrity['value']}" if integrity else "not sealed",
            bool(integrity),
        ),
        (f"Policy set sha256 ({count} policies)", policy_set, True),
        ("Tool", f"{doc['tool']['name']} {doc['tool']['version']}, generated {doc['generatedAt']}", False),
    ]
    body = "".join(
        f'<tr><th scope="row">{_e(k)}</th><td{" class=mono" if mono else ""}>{_e(v)}</td></tr>'
        for k, v, mono in rows
    )
    return (
        f'<section class="proof"><table class="proof">{body}</table>'
        '<p class="small">Check these files against this report with <code>auditor verify results.json '
        "SNAPSHOT</code> (and <code>--attestation results.intoto.jsonl</code> when the results are signed).</p>"
        f'<p class="small print-only">On paper, failing subjects are cut to the first five and evidence '
        f"values longer than {CELL_MAX} characters end in …; results.json, whose integrity hash is above, "
        "holds them whole.</p></section>"
    )
