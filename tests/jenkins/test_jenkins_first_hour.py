"""The Jenkins steps of a new user's first hour, as the README and the messages give them."""
from __future__ import annotations

import re

from jenkinsrig import READER
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.step.cli import build_parser as step_parser
from wyzepal_jenkins.step.cli import main as notify
from wyzepal_jenkins.watch.cli import main as watch
from wyzepal_notifier.cli.entry import jenkins_notify, jenkins_watch
from wyzepal_notifier.version import __version__

SITE = {"WYZEPAL_SITE": "https://chat.example.com", "WYZEPAL_USER": "bot@example.com",
        "WYZEPAL_API_KEY": "k" * 32, "STREAM_FOR_NOTIFICATIONS": "ci", "JENKINS_URL": "https://ci.example.com/"}


def test_jenkins_user_is_one_name_in_file_and_environment_and_the_old_one_still_works():
    by_file = JenkinsIntegration.from_values({**SITE, "JENKINS_USER": "reader"}, env={})
    assert by_file.jenkins_api(env={}).user == "reader"
    assert by_file.jenkins_api(env={"JENKINS_USER": "from-env"}).user == "from-env"
    assert by_file.jenkins_api(env={"JENKINS_USER_ID": "old-env"}).user == "old-env"  # a working Jenkinsfile
    old_key = JenkinsIntegration.from_values({**SITE, "JENKINS_USER_ID": "old-key"}, env={})
    assert old_key.jenkins_api(env={}).user == "old-key"


def test_the_readme_binds_the_name_the_config_uses():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "plugins" / "jenkins" / "README.md").read_text()
    assert "usernameVariable: 'JENKINS_USER'," in readme and "Environment=JENKINS_USER=" in readme


def test_the_step_says_dry_run_and_keeps_print():
    assert step_parser().parse_args(["--dry-run"]).dry_run
    assert step_parser().parse_args(["--print"]).dry_run  # Jenkinsfiles written with the first name


def test_the_jenkins_commands_have_version_and_plain_help(capsys):
    for entry, prog in ((jenkins_notify, "wyzepal-jenkins-notify"), (jenkins_watch, "wyzepal-jenkins-watch")):
        try:
            entry(["--version"])
        except SystemExit as exit_:
            assert exit_.code == 0
        assert capsys.readouterr().out.strip() == f"{prog} {__version__}"
        try:
            entry(["--help"])
        except SystemExit:
            pass
        shown = capsys.readouterr().out
        assert "--config FILE" in shown and "-v, --verbose" in shown and "``" not in shown


def test_the_step_with_v_says_what_it_read(write_config, jenkins_sim, capsys):
    jenkins_sim.jenkins.add_job("app")
    jenkins_sim.jenkins.run_build("app", "FAILURE")
    config = write_config()
    env = {"JENKINS_URL": jenkins_sim.url, "JOB_NAME": "app", "BUILD_NUMBER": "1",
           "BUILD_URL": f"{jenkins_sim.url}job/app/1/"}
    assert notify(["--config", str(config), "--dry-run", "-v", "--result", "FAILURE"], env=env) == 0
    said = capsys.readouterr()
    assert f"read {config}; app #1" in said.err and "# ci > " in said.out
    assert READER[1] not in said.err + said.out


def test_watch_once_says_what_it_saw(write_config, jenkins_sim, capsys):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.add_job("lib")
    config = write_config()
    assert watch(["--config", str(config), "--once"], env={}) == 0
    assert re.search(r"first poll: 2 watched job\(s\) remembered", capsys.readouterr().out)
    sim.run_build("app", "FAILURE")
    assert watch(["--config", str(config), "--once"], env={}) == 0
    out = capsys.readouterr().out
    assert "announced 1 build(s):" in out and "app #1" in out
    assert watch(["--config", str(config), "--once"], env={}) == 0
    assert "no build finished since the last poll" in capsys.readouterr().out
    jenkins_sim.stop()
    assert watch(["--config", str(config), "--once"], env={}) == 0
    assert "Jenkins could not be polled" in capsys.readouterr().out
