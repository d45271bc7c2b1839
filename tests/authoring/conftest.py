"""Fixtures for the authoring, documentation and CI-kit tests."""

from __future__ import annotations

import sys
from pathlib import Path

# tests.graphserver is a test-support package beside this folder; make the repository root importable.
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
