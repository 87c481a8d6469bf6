"""Where things are, for tests in any folder: the checkout and the tests' own data files."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEST_DATA = REPO / "tests" / "data"
