"""Fixtures of the git hook tests (the rig itself is in ``gitrig``)."""
from __future__ import annotations

import pytest
from gitrig import Remote


@pytest.fixture
def remote(tmp_path, devserver, devserver_bot):
    for stream in ("commits", "releases"):
        devserver.add_stream(stream)
    return Remote(tmp_path, devserver.site, devserver_bot)

