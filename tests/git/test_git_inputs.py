"""What git feeds the hook, and the config template users start from."""
from __future__ import annotations

import logging
from pathlib import Path

import pytest
from gitrig import uncomment_examples
from wyzepal_git import GitIntegration
from wyzepal_git.refs import parse_line, parse_updates

ZERO = "0" * 40
A, B = "a" * 40, "b" * 40
TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "wyzepal_git_config.py"


@pytest.mark.parametrize("text, kind, name, created, deleted", [
    (f"{A} {B} refs/heads/main", "branch", "main", False, False),
    (f"{ZERO} {B} refs/heads/release/1.0", "branch", "release/1.0", True, False),
    (f"{A} {ZERO} refs/tags/v1.0", "tag", "v1.0", False, True),
    (f"{A} {B} refs/notes/commits", "other", "refs/notes/commits", False, False),
    (f"{'0' * 64} {'c' * 64} refs/heads/sha256", "branch", "sha256", True, False),
])
def test_ref_lines(text, kind, name, created, deleted):
    update = parse_line(text + "\n")
    assert (update.kind, update.name, update.created, update.deleted) == (kind, name, created, deleted)


def test_a_malformed_line_is_reported_and_the_others_kept(caplog):
    with caplog.at_level(logging.WARNING):
        updates = parse_updates([f"{A} {B} refs/heads/main", "garbage here", "", f"{A} {B}"],
                                logging.getLogger("test"))
    assert [u.ref for u in updates] == ["refs/heads/main"]
    assert "expected 'OLD-SHA NEW-SHA REFNAME', got 'garbage here'" in caplog.text
    assert len(caplog.records) == 2


def test_the_template_loads_as_shipped_and_with_every_example_turned_on(tmp_path):
    as_shipped = tmp_path / "shipped" / TEMPLATE.name
    as_shipped.parent.mkdir()
    as_shipped.write_text(TEMPLATE.read_text())
    as_shipped.chmod(0o600)  # as the template tells users to
    shipped = GitIntegration.load(explicit=as_shipped, env={})
    assert (shipped.settings["TOPIC"], shipped.settings["MAX_COMMITS"]) == ("{branch}", 20)

    full = tmp_path / "wyzepal_git_config.py"
    full.write_text(uncomment_examples(TEMPLATE.read_text()))
    full.chmod(0o600)
    integration = GitIntegration.load(explicit=full, env={})
    assert [c.description for c in integration.configurations] == [
        "main and releases", "release tags", "force pushes to main", "all but the secrets", "the docs team"]
    assert integration.configurations[4]["PATHS"] == ["docs", "*.md"] and integration.settings["DIFFSTAT"] is True
    assert integration.settings["COMPARE_URL"] == "https://git.example.com/{repo}/compare/{old}...{new}"
    destination = integration.settings["COMMIT_NOTICE_DESTINATION"]
    assert destination("project", "wip/x", B) is None
    assert destination("project", "main", B) == {"stream": "commits", "topic": "project: main"}
    assert integration.settings["COMMIT_URL"] == "https://git.example.com/{repo}/commit/{sha}"
