"""``python -m tests.graphserver --users N``: serve a generated tenant until killed."""

from __future__ import annotations

import argparse
import sys
import time

from tests.graphserver.server import GraphServer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--cache-pages", action="store_true")
    args = parser.parse_args()
    server = GraphServer(users=args.users, token=args.token, cache_pages=args.cache_pages).start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
