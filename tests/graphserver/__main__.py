"""``python -m tests.graphserver --users N``: serve a generated tenant until killed."""

from __future__ import annotations

import argparse
import sys
import time

from tests.graphserver.server import GraphServer

BIG_GROUP = "0badc0de-0000-4000-8000-000000000001"


def add_big_group(server: GraphServer, n: int) -> None:
    """A group of ``n`` user members that the first conditional access policy excludes."""
    server.tenant["groupMembers"][BIG_GROUP] = [
        {
            "@odata.type": "#microsoft.graph.user",
            "id": f"00000000-0000-4000-8000-{i:012d}",
            "userPrincipalName": f"m{i}@contoso.example",
            "displayName": f"Member {i}",
        }
        for i in range(n)
    ]
    users = server.tenant["conditionalAccessPolicies"][0]["conditions"]["users"]
    users["excludeGroups"] = [*users["excludeGroups"], BIG_GROUP]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--token", default="test-token")
    parser.add_argument("--cache-pages", action="store_true")
    parser.add_argument(
        "--group-members", type=int, default=0, metavar="N", help="add a CA-excluded group of N members"
    )
    args = parser.parse_args()
    server = GraphServer(users=args.users, token=args.token, cache_pages=args.cache_pages)
    if args.group_members:
        add_big_group(server, args.group_members)
    server.start()
    print(server.url, flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.stop()
        sys.exit(0)


if __name__ == "__main__":
    main()
