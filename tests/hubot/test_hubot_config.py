"""Where the bridge's settings come from: HUBOT_WYZEPAL_* variables, the config file, both."""
from __future__ import annotations

import shutil
import warnings

import pytest
from hubot_harness import ALICE, HUBOT, REPO, bridge_env
from wyzepal_hubot.config import ENVIRONMENT, load_integration
from wyzepal_notifier.errors import ConfigError

KEY = "k" * 32
CREDENTIALS = {"HUBOT_WYZEPAL_SITE": "https://chat.example.com", "HUBOT_WYZEPAL_USER": "hubot@example.com",
               "HUBOT_WYZEPAL_API_KEY": KEY}


def config_file(folder, text):
    path = folder / "wyzepal_hubot_config.py"
    path.write_text(text)
    path.chmod(0o600)
    return path


def test_three_environment_variables_are_enough(tmp_path):
    integration = load_integration(env=CREDENTIALS, folder=str(tmp_path))
    settings = integration.settings
    assert settings.path == ENVIRONMENT
    assert (settings["WYZEPAL_SITE"], settings["WYZEPAL_USER"], settings["WYZEPAL_API_KEY"]) == \
        ("https://chat.example.com", "hubot@example.com", KEY)
    assert (settings["STREAM_FOR_NOTIFICATIONS"], settings["TOPIC"]) == ("general", "hubot")
    assert settings["ALL_PUBLIC_STREAMS"] is False


def test_the_file_in_the_bots_folder_is_read_and_the_environment_beats_it(tmp_path):
    config_file(tmp_path, 'WYZEPAL_SITE = "https://file.example.com"\nWYZEPAL_USER = "file@example.com"\n'
                          f'WYZEPAL_API_KEY = "{"f" * 32}"\nTOPIC = "from the file"\nALL_PUBLIC_STREAMS = True\n')
    settings = load_integration(env={"HUBOT_WYZEPAL_API_KEY": KEY, "HUBOT_WYZEPAL_TOPIC": "from env"},
                                folder=str(tmp_path)).settings
    assert settings.path == str(tmp_path / "wyzepal_hubot_config.py")
    assert settings["WYZEPAL_SITE"] == "https://file.example.com"
    assert settings["WYZEPAL_API_KEY"] == KEY
    assert settings["TOPIC"] == "from env"
    assert settings["ALL_PUBLIC_STREAMS"] is True


def test_hubot_variables_beat_the_librarys(tmp_path):
    env = dict(CREDENTIALS, WYZEPAL_SITE="https://generic.example.com")
    assert load_integration(env=env, folder=str(tmp_path)).settings["WYZEPAL_SITE"] == "https://chat.example.com"


def test_hubot_wyzepal_config_names_the_file(tmp_path):
    path = config_file(tmp_path, f'WYZEPAL_SITE = "https://a.example.com"\nWYZEPAL_USER = "a@example.com"\n'
                                 f'WYZEPAL_API_KEY = "{KEY}"\n')
    settings = load_integration(env={"HUBOT_WYZEPAL_CONFIG": str(path)}, folder="/").settings
    assert settings["WYZEPAL_SITE"] == "https://a.example.com"


def test_a_named_file_that_is_missing_is_an_error_of_its_own(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_integration(env=dict(CREDENTIALS, HUBOT_WYZEPAL_CONFIG=str(tmp_path / "typo.py")), folder=str(tmp_path))


def test_nothing_configured_says_where_it_looked_and_what_to_set(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_integration(env={"HUBOT_WYZEPAL_SITE": "https://chat.example.com"}, folder=str(tmp_path))
    text = str(caught.value)
    assert str(tmp_path / "wyzepal_hubot_config.py") in text
    assert "HUBOT_WYZEPAL_USER" in text and "HUBOT_WYZEPAL_API_KEY" in text
    assert "wyzepal-integrations template hubot -o ." in text


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("HUBOT_WYZEPAL_ALL_PUBLIC_STREAMS", "maybe", "true or false"),
    ("HUBOT_WYZEPAL_SITE", "not a site at all", "an address"),
    ("HUBOT_WYZEPAL_USER", "nobody", "an email address"),
])
def test_a_bad_variable_is_named_with_what_was_expected(tmp_path, variable, value, expected):
    with pytest.raises(ConfigError) as caught:
        load_integration(env=dict(CREDENTIALS, **{variable: value}), folder=str(tmp_path))
    assert variable in str(caught.value)
    assert expected in str(caught.value)


def test_the_api_key_never_shows_in_an_error(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_integration(env=dict(CREDENTIALS, HUBOT_WYZEPAL_SITE="bad site"), folder=str(tmp_path))
    assert KEY not in str(caught.value)


@pytest.mark.parametrize("value", ["true", "1", "yes", "on", "TRUE"])
def test_switches_read_as_hubot_users_write_them(tmp_path, value):
    env = dict(CREDENTIALS, HUBOT_WYZEPAL_ALL_PUBLIC_STREAMS=value)
    assert load_integration(env=env, folder=str(tmp_path)).settings["ALL_PUBLIC_STREAMS"] is True


def test_the_template_is_a_valid_config(tmp_path):
    shutil.copy(REPO / "templates" / "wyzepal_hubot_config.py", tmp_path / "wyzepal_hubot_config.py")
    (tmp_path / "wyzepal_hubot_config.py").chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        settings = load_integration(env={}, folder=str(tmp_path)).settings
    assert settings["WYZEPAL_USER"] == "hubot-bot@chat.example.com"
    assert settings["ALL_PUBLIC_STREAMS"] is False


def test_a_bridge_with_a_broken_config_exits_2_naming_the_problem(start_bridge, server, tmp_path):
    run = start_bridge(cwd=str(tmp_path), HUBOT_WYZEPAL_ALL_PUBLIC_STREAMS="sometimes")
    assert run.wait(10) == 2
    assert "HUBOT_WYZEPAL_ALL_PUBLIC_STREAMS" in run.log and "true or false" in run.log
    assert HUBOT[1] not in run.log


def test_a_bridge_with_a_wrong_key_exits_2_without_showing_it(start_bridge, server, tmp_path):
    wrong = "w" * 32
    run = start_bridge(cwd=str(tmp_path), HUBOT_WYZEPAL_API_KEY=wrong)
    assert run.wait(20) == 2
    assert "rejected" in run.log
    assert wrong not in run.log


def test_check_logs_in_with_the_config(start_bridge, server, tmp_path):
    """--check reaches the server: a config that validates but cannot log in is not "OK"."""
    run = start_bridge("--check", cwd=str(tmp_path))
    assert run.wait(10) == 0
    said = run.expect("<not json>")["raw"]  # --check prints for people, not for the adapter
    assert said.startswith("config: ") and HUBOT[0] in said and server.site in said
    assert run.expect("<not json>")["raw"].startswith(f"OK: logged in to {server.site}")
    assert HUBOT[1] not in said + run.log


def test_check_with_a_wrong_key_exits_2(start_bridge, server, tmp_path):
    wrong = "w" * 32
    run = start_bridge("--check", cwd=str(tmp_path), HUBOT_WYZEPAL_API_KEY=wrong)
    assert run.wait(10) == 2
    assert "refused" in run.log and wrong not in run.log


def test_a_real_bridge_reads_the_file_in_the_bots_folder(start_bridge, server, tmp_path):
    config_file(tmp_path, f'WYZEPAL_SITE = "{server.site}"\nWYZEPAL_USER = "{HUBOT[0]}"\n'
                          f'WYZEPAL_API_KEY = "{HUBOT[1]}"\nTOPIC = "from the file"\n')
    env = {k: v for k, v in bridge_env(server).items() if not k.startswith("HUBOT_WYZEPAL_")}
    run = start_bridge(cwd=str(tmp_path), env=env)  # Hubot runs the bridge in the bot's folder
    assert run.expect("ready")["bot"]["email"] == HUBOT[0]
    assert run.request("send", "1", "configured by the file", room="general")["type"] == "ack"
    assert server.messages("general", "from the file")[-1]["content"] == "configured by the file"


def test_by_default_only_subscribed_channels_are_heard(start_bridge, server):
    server.add_stream("random", subscribe_all=False)
    server.subscribe(ALICE["email"], "random")
    run = start_bridge()
    run.expect("ready")
    server.send_message(ALICE["email"], "random", "unheard", topic="x")
    server.send_message(ALICE["email"], "general", "heard", topic="x")
    run.expect("message", text="heard")
    assert not [line for line in run.seen if line.get("text") == "unheard"]


def test_all_public_streams_hears_every_public_channel(start_bridge, server):
    server.add_stream("random", subscribe_all=False)
    server.subscribe(ALICE["email"], "random")
    run = start_bridge(env=bridge_env(server, HUBOT_WYZEPAL_ALL_PUBLIC_STREAMS="true"))
    run.expect("ready")
    server.send_message(ALICE["email"], "random", "heard everywhere", topic="x")
    assert run.expect("message", text="heard everywhere")["room"] == "stream:random topic:x"


def test_the_api_key_never_shows_in_a_verbose_log(start_bridge, server):
    run = start_bridge("--verbose")
    run.expect("ready")
    server.send_message(ALICE["email"], "general", "hello", topic="x")
    run.expect("message", text="hello")
    assert run.request("send", "1", "hi", room="stream:general topic:x")["type"] == "ack"
    run.close_stdin()
    assert run.wait(10) == 0
    assert "DEBUG wyzepal_hubot.bridge: heard message" in run.log and "DEBUG wyzepal_hubot.delivery: answer 1 sent" \
        in run.log, "the log is verbose"
    assert HUBOT[1] not in run.log
