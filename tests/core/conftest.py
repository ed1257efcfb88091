"""Fixtures of the core tests (the dev server's come from tests/conftest.py)."""
from __future__ import annotations

import pytest


@pytest.fixture
def spool_path(tmp_path):
    """Where a test's spool goes (created by the outbox when it is first used)."""
    return tmp_path / "outbox.sqlite3"
