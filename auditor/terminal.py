"""Whether a stream is a person's terminal: where live progress displays belong.

A live display (a spinner, a redrawn table) helps a person watching a terminal and only
litters a CI log, even when the CI runner gives the tool a pseudo-terminal; so a stream
counts as interactive when it is a TTY and ``CI`` is not set (as CI services set it).
"""

from __future__ import annotations

import os
import sys
from typing import TextIO


def interactive(stream: TextIO | None = None) -> bool:
    """Whether ``stream`` (default stderr) is a terminal outside CI."""
    stream = stream or sys.stderr
    ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    return bool(getattr(stream, "isatty", lambda: False)()) and not ci
