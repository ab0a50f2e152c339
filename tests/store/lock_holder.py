"""A second process for the lock tests: takes a profile lock and holds it until stdin says so.

Usage: python lock_holder.py URL PROFILE HOLDER. Prints `locked` once it holds the lock (then waits
for a line on stdin), or `refused: <message>`; prints `released` when done.
"""

from __future__ import annotations

import sys

from idsync.domain.errors import RunInProgress
from idsync.store import Store


def main() -> None:
    """Hold the lock named on the command line until a line arrives on stdin."""
    url, profile, holder = sys.argv[1:4]
    store = Store.open(url)
    try:
        with store.profile_lock(profile, holder):
            print("locked", flush=True)
            sys.stdin.readline()
    except RunInProgress as refused:
        print(f"refused: {refused}", flush=True)
    finally:
        store.close()
    print("released", flush=True)


if __name__ == "__main__":
    main()
