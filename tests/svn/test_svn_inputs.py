"""What svnlook prints, how paths are matched, and the config template users start from."""
from __future__ import annotations

from pathlib import Path

from svnrig import uncomment_examples
from wyzepal_svn import SvnIntegration
from wyzepal_svn.events import touched_paths
from wyzepal_svn.svnlook import Change, parse_changed, parse_info

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "wyzepal_svn_config.py"


def test_info_log_is_cut_at_its_size_in_bytes():
    log = "Première ligne\nsecond"
    output = f"alice\n2026-01-01 10:00:00 +0000 (Thu, 01 Jan 2026)\n{len(log.encode())}\n{log}\n"
    assert parse_info(output) == ("alice", "2026-01-01 10:00:00 +0000 (Thu, 01 Jan 2026)", log)


def test_changed_codes_read_as_svn_log_shows_them():
    output = ("A   trunk/new.txt\nU   trunk/edited.txt\n_U  trunk/props.txt\nUU  trunk/both.txt\n"
              "D   trunk/gone.txt\nA + branches/b1/\n    (from trunk/:r3)\n")
    assert parse_changed(output) == (
        Change("A", "/trunk/new.txt"), Change("M", "/trunk/edited.txt"), Change("M", "/trunk/props.txt"),
        Change("M", "/trunk/both.txt"), Change("D", "/trunk/gone.txt"), Change("A", "/branches/b1/"))


def test_touched_paths_hold_each_change_and_every_folder_above():
    changes = [Change("M", "/trunk/web/css/site.css"), Change("A", "/trunk/web/"), Change("D", "/README")]
    assert touched_paths(changes) == ["/trunk/web/css/site.css", "/trunk/web/css", "/trunk/web", "/trunk",
                                      "/README"]


def test_the_template_loads_as_shipped_and_with_every_example_turned_on(tmp_path):
    as_shipped = tmp_path / "shipped" / TEMPLATE.name
    as_shipped.parent.mkdir()
    as_shipped.write_text(TEMPLATE.read_text())
    as_shipped.chmod(0o600)  # as the template tells users to
    shipped = SvnIntegration.load(explicit=as_shipped, env={})
    assert (shipped.settings["TOPIC"], shipped.settings["MAX_PATHS"]) == ("{repo}", 20)

    full = tmp_path / "wyzepal_svn_config.py"
    full.write_text(uncomment_examples(TEMPLATE.read_text()))
    full.chmod(0o600)
    integration = SvnIntegration.load(explicit=full, env={})
    assert [c.description for c in integration.configurations] == ["the web site", "releases",
                                                                     "everything but the secrets"]
    assert integration.configurations[2]["EXCLUDE_PATHS"] == ["trunk/secret", "*.pem"]
    destination = integration.settings["COMMIT_NOTICE_DESTINATION"]
    assert destination("/srv/svn/secret-plans", "4") is None
    assert destination("/srv/svn/project", "4") == {"stream": "commits", "topic": "project"}
