"""tox -e hubot names the adapter's test files one by one (Node 21+ does not search a folder): none left out."""
from __future__ import annotations

import configparser

from hubot_harness import HERE, REPO


def test_every_adapter_test_file_is_run_by_tox():
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(REPO / "tox.ini")
    commands = tox["testenv:hubot"]["commands"]
    files = sorted(path.name for path in (HERE / "adapter").glob("*.test.mjs"))
    assert files, "the adapter has tests"
    missing = [name for name in files if f"tests/hubot/adapter/{name}" not in commands]
    assert not missing, f"add to [testenv:hubot] commands: {missing}"
