"""``PATHS`` / ``EXCLUDE_PATHS`` matching, shared by the git and Subversion hooks."""
from __future__ import annotations

import pytest
from wyzepal_notifier.errors import ConfigError
from wyzepal_notifier.scripthook.paths import PathRules, path_fields, path_matches


@pytest.mark.parametrize("path, pattern, expected", [
    ("secret/key.pem", "secret", True),            # a plain folder name covers everything under it
    ("secret/deep/er/key.pem", "secret", True),
    ("secret", "secret", True),                     # the folder itself
    ("secretive/x", "secret", False),               # a name is not a prefix of another name
    ("trunk/secret/key.pem", "secret", False),      # from the root, not anywhere
    ("trunk/secret/key.pem", "trunk/secret", True),
    ("docs/a/b.md", "*.md", True),                  # * crosses folders
    ("docs/a/b.txt", "*.md", False),
    ("docs/a/b.txt", "docs/*", True),
    ("trunk/web/x", "trunk/*/x", True),
    ("branches/b1/web/x", "branches/*", True),
    ("trunk/secret/key.pem", "/trunk/secret", True),   # a leading slash is harmless
    ("/trunk/secret/key.pem", "trunk/secret", True),   # Subversion's /path form too
    ("/trunk/secret/", "trunk/secret", True),          # a folder as svnlook names it
    ("/trunk/secret/", "/trunk/secret/", True),
    ("Secret/x", "secret", False),                     # case counts, as in the repository
    ("anything", "", False),                           # an empty pattern takes nothing
    ("anything", "  ", False),
    ("anything", "/", False),
])
def test_path_matches(path, pattern, expected):
    assert path_matches(path, pattern) is expected


def test_rules_include_then_exclude():
    rules = PathRules(include=["trunk"], exclude=["trunk/secret", "*.pem"])
    assert rules.active
    assert rules.shows_path("trunk/a.txt")
    assert not rules.shows_path("trunk/secret/notes.txt")
    assert not rules.shows_path("trunk/web/cert.pem")
    assert not rules.shows_path("branches/b1/a.txt")  # not under PATHS
    assert rules.shows_any(["trunk/secret/x", "trunk/a.txt"])
    assert not rules.shows_any(["trunk/secret/x", "branches/b1/a.txt"])


def test_no_rules_show_everything_and_touching_nothing_is_shown_unless_paths_asks():
    everything = PathRules.of({"PATHS": None, "EXCLUDE_PATHS": None})
    assert not everything.active and everything.shows_path("secret/x") and everything.shows_any([])
    assert PathRules.of({"EXCLUDE_PATHS": ["secret"]}).shows_any([])
    assert not PathRules.of({"PATHS": ["docs"]}).shows_any([])


@pytest.mark.parametrize("bad", [[""], ["docs", "/"], ["docs", 3]])
def test_the_fields_refuse_what_is_not_a_pattern(bad):
    for field in path_fields():
        with pytest.raises(ConfigError, match="not a path pattern"):
            field.validate(bad, "wyzepal_config.py")
        assert field.validate(["/trunk/secret", "*.pem"], "wyzepal_config.py") == ["/trunk/secret", "*.pem"]
