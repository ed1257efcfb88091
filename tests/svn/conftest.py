"""Fixtures of the Subversion hook tests (the rig itself is in ``svnrig``)."""
from __future__ import annotations

import pytest
from svnrig import SvnRepo


@pytest.fixture
def repo(tmp_path, devserver, devserver_bot):
    for stream in ("commits", "web", "api"):
        devserver.add_stream(stream)
    return SvnRepo(tmp_path, devserver.site, devserver_bot)
