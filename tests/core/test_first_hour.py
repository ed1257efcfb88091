"""The first hour of a new user: each step the READMEs and the messages give, followed literally.

One test per thing a newcomer met that did not work as written (the Jenkins
and Trac ones are in tests/jenkins/test_jenkins_first_hour.py and
tests/trac/test_trac_first_hour.py). Commands run as separate processes, the
dev server over HTTP.
"""
from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pytest
from wyzepal_notifier.cli import main as cli_main
from wyzepal_notifier.cli.options import PLUGIN_COMMANDS
from wyzepal_notifier.version import __version__

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
KEY = "firsthourkey0123456789abcdefghij"
EMAIL = "first@example.com"
READMES = [ROOT / "README.md", *sorted((ROOT / "plugins").glob("*/README.md"))]
COMMANDS = ["wyzepal-integrations", *[name for name, _ in PLUGIN_COMMANDS]]
#: A Python that cannot import python-jenkins, as on a host installed with '.[devserver]' only.
NO_JENKINS = """\
import sys


class _NoJenkins:
    def find_spec(self, name, path=None, target=None):
        if name == "jenkins" or name.startswith("jenkins."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None


sys.meta_path.insert(0, _NoJenkins())
"""


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WYZEPAL_", "HUBOT_WYZEPAL_", "JENKINS_"))
           or k == "WYZEPAL_DEVSERVER_RECORD"}
    env.update(extra)
    return env


def run(*argv: str, env=None, cwd=None, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / argv[0]), *argv[1:]], capture_output=True, text=True, timeout=120,
                          env=env or clean_env(), cwd=cwd, input=stdin)


def cli(*argv: str, **kw) -> subprocess.CompletedProcess:
    return run("wyzepal-integrations", *argv, **kw)


def write_config(folder: Path, name: str, site: str, key: str = KEY, extra: str = "") -> Path:
    path = folder / name
    path.write_text(f'WYZEPAL_SITE = "{site}"\nWYZEPAL_USER = "{EMAIL}"\nWYZEPAL_API_KEY = "{key}"\n'
                    f'STREAM_FOR_NOTIFICATIONS = "general"\n{extra}')
    path.chmod(0o600)
    return path


@pytest.fixture
def chat(devserver_factory):
    return devserver_factory(users=[(EMAIL, KEY, "First Bot")], streams=["general"])


# -- 1. guides that work as written ------------------------------------------------------------------------------

def readme_commands() -> list[tuple[Path, str]]:
    found = []
    for readme in READMES:
        for line in readme.read_text(encoding="utf-8").splitlines():
            if "pip install" in line or "pip wheel" in line:
                found.append((readme, line.strip()))
    return found


def test_every_readme_installs_from_the_clone_never_from_an_index():
    lines = readme_commands()
    assert {readme.parent.name for readme, _ in lines} >= {"trac", "git", "svn", "hubot", "jenkins"}
    for readme, line in lines:
        assert "wyzepal-integrations[" not in line and "pip install wyzepal-integrations" not in line, \
            f"{readme}: {line}"
    for tool, extra in (("trac", "[trac]"), ("jenkins", "[jenkins]"), ("hubot", "[hubot]"), ("git", ""),
                        ("svn", "")):
        text = (ROOT / "plugins" / tool / "README.md").read_text(encoding="utf-8")
        assert f"python3 -m pip install '.{extra}'" in text, tool
        assert "python3 -m pip wheel --no-deps -w dist ." in text, tool
        assert f'python3 -m pip install "$(echo dist/wyzepal_integrations-*.whl){extra}"' in text, tool


@pytest.fixture(scope="module")
def no_jenkins(tmp_path_factory) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("no-jenkins")
    (folder / "sitecustomize.py").write_text(NO_JENKINS)
    return clean_env(PYTHONPATH=str(folder))


@pytest.mark.parametrize("argv", [["wyzepal-jenkins-notify", "--help"], ["wyzepal-jenkins-watch", "--help"],
                                  ["wyzepal-jenkins-notify", "--result", "SUCCESS"],
                                  ["wyzepal-jenkins-watch", "--once"]])
def test_a_jenkins_command_without_its_extra_says_which_to_install(no_jenkins, argv):
    done = run(*argv, env=no_jenkins)
    assert "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert "needs the 'jenkins' extra" in line and "pip install '.[jenkins]'" in line
    assert done.returncode == (0 if argv[0] == "wyzepal-jenkins-notify" else 2)  # a build is never failed


def test_list_and_check_without_the_jenkins_extra_say_which_to_install(no_jenkins, tmp_path):
    listed = cli("list", env=no_jenkins)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr
    assert re.search(r"^jenkins +not usable here: .*needs the 'jenkins' extra", listed.stdout, re.MULTILINE)
    config = write_config(tmp_path, "wyzepal_jenkins_config.py", "https://chat.example.com",
                          extra="JENKINS_URL = 'https://ci.example.com/'\nMENTION_CULPRITS = True\n")
    checked = cli("check", "--config", str(config), env=no_jenkins)
    assert checked.returncode == 2
    assert "needs the 'jenkins' extra" in checked.stderr and "unknown setting" not in checked.stdout


def test_not_found_points_at_the_template_command_and_every_place(tmp_path):
    repo = tmp_path / "project.git"
    subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
    hook = run("wyzepal-git-post-receive", cwd=str(repo), stdin="")
    assert "no wyzepal_git_config.py found" in hook.stderr
    assert "wyzepal-integrations template git -o FOLDER" in hook.stderr
    assert "templates/" not in hook.stderr and "$WYZEPAL_GIT_CONFIG (not set)" in hook.stderr
    home = tmp_path / "home"
    home.mkdir()
    sent = cli("send", "--stream", "general", "--topic", "t", "--content", "x",
               env=clean_env(HOME=str(home), WYZEPAL_SITE="https://chat.example.com"))
    assert sent.returncode == 2
    assert str(home / ".wyzepalrc") in sent.stderr and "$WYZEPAL_CONFIG (not set)" in sent.stderr
    assert "WYZEPAL_USER" in sent.stderr and "WYZEPAL_API_KEY" in sent.stderr and "only WYZEPAL_SITE" in sent.stderr
    assert "templates/wyzepalrc" not in sent.stderr


def wait_for_dead(spool: Path, count: int = 1) -> dict:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        done = cli("outbox", "status", "--json", "--outbox", str(spool))
        if done.stdout.strip():
            status = json.loads(done.stdout)
            if status["dead"] >= count:
                return status
        time.sleep(0.3)
    raise AssertionError(f"no dead message in {spool}")


def test_the_retry_that_outbox_status_prints_delivers_after_the_key_is_fixed(chat, tmp_path):
    spool = tmp_path / "outbox.sqlite3"
    wrong = write_config(tmp_path, "wyzepal_generic_config.py", chat.site, key="w" * 32)
    queued = cli("send", "--stream", "general", "--topic", "first hour", "--content", "hello",
                 "--config", str(wrong), "--outbox", str(spool))
    assert queued.returncode == 0, queued.stderr
    wait_for_dead(spool)
    status = cli("outbox", "status", "--outbox", str(spool))
    [command] = [line.split(": ", 1)[1] for line in status.stdout.splitlines() if "outbox retry" in line]
    assert "--config FILE" in command
    fixed = write_config(tmp_path, "fixed_config.py", chat.site)  # the user fixes the key, as told
    argv = shlex.split(command.replace("FILE", str(fixed)))
    retried = run(*argv)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "1 delivered" in retried.stdout
    assert [m["content"] for m in chat.messages()] == ["hello"]


def test_check_uses_the_schema_of_the_tool_named_and_says_which(tmp_path):
    saved = write_config(tmp_path, "bot.py", "https://chat.example.com", extra="ALL_PUBLIC_STREAMS = True\n")
    by_name = cli("check", "--config", str(saved))
    assert by_name.returncode == 0
    assert "against the common settings only" in by_name.stdout and "unknown setting ALL_PUBLIC_STREAMS" in \
        by_name.stdout
    named = cli("check", "--config", str(saved), "--tool", "hubot")
    assert named.returncode == 0, named.stderr
    assert "against the Hubot plugin's settings" in named.stdout and "unknown setting" not in named.stdout
    typo = cli("check", "--config", str(saved), "--tool", "hubbot")
    assert typo.returncode == 2 and "no such plugin" in typo.stderr and "hubot" in typo.stderr


def test_check_catches_a_site_without_scheme_and_says_what_was_assumed(tmp_path):
    config = write_config(tmp_path, "wyzepal_git_config.py", "127.0.0.1:9991")
    done = cli("check", "--config", str(config))
    assert done.returncode == 2
    assert "https://127.0.0.1:9991 is assumed" in done.stdout and "'http://127.0.0.1:9991'" in done.stdout
    assert "valid:" not in done.stdout


def test_a_config_written_as_root_goes_to_the_hook_user_or_the_error_names_the_user(tmp_path):
    """The git README followed as root: the hook user must be able to read the file, or be told how."""
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    if os.geteuid() == 0:  # as the README's reader: root, in a folder owned by the git user
        os.chown(hooks, 4242, 4242)
        done = cli("template", "git", "-o", str(hooks))
        assert done.returncode == 0, done.stderr
        written = hooks / "wyzepal_git_config.py"
        assert written.stat().st_uid == 4242 and written.stat().st_mode & 0o777 == 0o600
        assert f"the owner of {hooks}" in done.stdout
    else:  # as the hook user, who cannot read a file left to root: the error names who and how
        config = write_config(hooks, "wyzepal_git_config.py", "https://chat.example.com")
        config.chmod(0)
        done = cli("check", "--config", str(config))
        import getpass

        assert done.returncode == 2 and getpass.getuser() in done.stderr and f"chmod 600 {config}" in done.stderr


def test_template_into_a_missing_folder_is_refused_not_written_as_a_file(tmp_path):
    done = cli("template", "git", "-o", f"{tmp_path}/hooks/")
    assert done.returncode == 2 and "mkdir -p" in done.stderr
    assert not (tmp_path / "hooks").exists()


# -- 3. consistent commands --------------------------------------------------------------------------------------

@pytest.mark.parametrize("command", [c for c in COMMANDS if "jenkins" not in c])
def test_every_command_has_version_and_plain_help_with_defaults(command):
    version = run(command, "--version")
    assert version.returncode == 0 and version.stdout.strip() == f"{command} {__version__}"
    shown = run(command, *(["send"] if command == "wyzepal-integrations" else []), "--help")
    assert shown.returncode == 0 and "--config FILE" in shown.stdout and "-v, --verbose" in shown.stdout
    assert "``" not in shown.stdout and ":ref:" not in shown.stdout
    if command in ("wyzepal-git-post-receive", "wyzepal-svn-post-commit"):
        assert "--dry-run" in shown.stdout


@pytest.mark.parametrize("subcommand", ["send", "check", "template", "list", "outbox", "devserver", "demo"])
def test_no_subcommand_help_shows_rest_markup(subcommand):
    shown = cli(subcommand, "--help")
    assert shown.returncode == 0 and "``" not in shown.stdout and ":ref:" not in shown.stdout


def test_outbox_help_shows_defaults():
    shown = cli("outbox", "flush", "--help")
    assert "(default 300.0)" in shown.stdout or "(default: 300.0)" in shown.stdout


def test_the_top_level_help_lists_the_plugin_commands():
    from importlib import metadata

    scripts = {ep.name for ep in metadata.distribution("wyzepal-integrations").entry_points
               if ep.group == "console_scripts"}
    assert scripts == set(COMMANDS), "a console script is missing from PLUGIN_COMMANDS (or listed but not declared)"
    shown = cli("--help")
    for name, _ in PLUGIN_COMMANDS:
        assert name in shown.stdout
        assert (BIN / name).exists(), f"{name} is listed but not installed"


def test_verbose_after_the_subcommand_says_what_was_read_and_sent(chat, tmp_path):
    config = write_config(tmp_path, "wyzepal_generic_config.py", chat.site)
    done = cli("send", "--stream", "general", "--topic", "t", "--content", "hi", "--config", str(config), "-v")
    assert done.returncode == 0, done.stderr
    assert f"credentials from {config}: {EMAIL} on {chat.site}" in done.stderr
    assert "sending 2 characters to #general > t" in done.stderr
    assert KEY not in done.stderr
    checked = cli("check", "--config", str(config), "--verbose")
    assert f"read {config}; configurations: default" in checked.stderr


def test_check_ping_for_a_hubot_config_reaches_the_server(chat, tmp_path):
    good = write_config(tmp_path, "wyzepal_hubot_config.py", chat.site)
    assert cli("check", "--config", str(good), "--ping").returncode == 0
    (tmp_path / "other").mkdir()
    wrong = write_config(tmp_path / "other", "wyzepal_hubot_config.py", chat.site, key="w" * 32)
    done = cli("check", "--config", str(wrong), "--ping")
    assert done.returncode == 1 and "ping failed" in done.stderr and "w" * 32 not in done.stderr


def test_the_hubot_readme_says_what_to_type_instead_of_the_old_adapter_habit():
    text = (ROOT / "plugins" / "hubot" / "README.md").read_text(encoding="utf-8")
    assert "npx hubot -a hubot-wyzepal" in text
    assert "`npx hubot -a wyzepal`" in text and "Type `-a hubot-wyzepal`" in text


# -- 4. bugs found on the way ------------------------------------------------------------------------------------

def test_a_subcommand_that_fails_to_import_fails_loudly(monkeypatch):
    monkeypatch.setattr(cli_main, "SUBCOMMANDS", (*cli_main.SUBCOMMANDS, "no_such_subcommand"))
    with pytest.raises(ModuleNotFoundError):
        cli_main.build_parser()


def test_every_host_says_the_same_when_nothing_is_found(tmp_path):
    """The library, the hooks and Hubot search with one function: one message, one fix."""
    from wyzepal_hubot.config import load_integration
    from wyzepal_notifier.config import locate_config
    from wyzepal_notifier.errors import ConfigError, ConfigNotFound
    from wyzepal_notifier.scripthook import find_hook_config

    with pytest.raises(ConfigNotFound) as library:
        locate_config("git", beside=tmp_path, env={})
    with pytest.raises(ConfigNotFound) as hook:
        find_hook_config("git", folders=[tmp_path], env={})
    assert str(library.value) == str(hook.value)
    with pytest.raises(ConfigError) as hubot:
        load_integration(env={}, folder=str(tmp_path))
    assert str(tmp_path / "wyzepal_hubot_config.py") in str(hubot.value)
    assert "$HUBOT_WYZEPAL_CONFIG (not set)" in str(hubot.value)
    assert "$WYZEPAL_HUBOT_CONFIG (not set)" in str(hubot.value)


@pytest.mark.parametrize("kind", ["folder", "loop"])
def test_a_folder_or_a_symlink_loop_in_place_of_the_config_is_broken_not_missing(tmp_path, kind):
    from wyzepal_notifier.config import locate_config
    from wyzepal_notifier.errors import ConfigError, ConfigNotFound

    path = tmp_path / "wyzepal_git_config.py"
    if kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(path.name)
    with pytest.raises(ConfigError) as caught:
        locate_config("git", beside=tmp_path, env={})
    assert not isinstance(caught.value, ConfigNotFound)
    assert ("folder" if kind == "folder" else "loop") in str(caught.value)
