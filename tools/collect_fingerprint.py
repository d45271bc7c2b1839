"""Print what the collector writes from the local test server, timestamps masked, to compare branches.

Why: a refactoring of ``auditor/collect`` must not change a snapshot. Run this on both sides and
compare the outputs byte for byte (every collection, the opt-in ones included, once at
concurrency 6 and once with only the dependent collections at concurrency 1, so they read their
prerequisites themselves):

    PYTHONPATH=. python tools/collect_fingerprint.py > after.txt
    git stash; PYTHONPATH=. python tools/collect_fingerprint.py > before.txt; git stash pop
    cmp before.txt after.txt
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.collect.catalog import CATALOG  # noqa: E402
from auditor.collect.dnstxt import FileResolver  # noqa: E402
from tests.collect.conftest import SECRET_TOKEN, run_collect  # noqa: E402
from tests.graphserver import GraphServer  # noqa: E402

#: collections that read others first: collected alone, they read their prerequisites themselves
DEPENDENT = [name for name, source in CATALOG.items() if source.after] + ["sharepointTenant"]
TIMESTAMP = re.compile(r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z?")


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        zone = folder / "zone.json"
        zone.write_text("{}", encoding="utf-8")
        outputs = []
        with GraphServer(users=300, token=SECRET_TOKEN) as server:
            for names, concurrency in ((list(CATALOG), 6), (DEPENDENT, 1)):
                out = folder / f"snapshot-{concurrency}.json"
                run_collect(server, names, out=out, concurrency=concurrency, dns_resolver=FileResolver(zone))
                outputs.append(TIMESTAMP.sub("TS", out.read_text(encoding="utf-8")))
    sys.stdout.write("\n----\n".join(outputs) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
