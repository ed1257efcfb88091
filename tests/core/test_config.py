"""Config files: where they are found, and a clear error for each way they go wrong."""
from __future__ import annotations

import os
import textwrap

import pytest
from wyzepal_notifier.config import (
    Field,
    InsecureConfigWarning,
    UnknownSettingWarning,
    load_settings,
    load_wyzepalrc,
    locate_config,
    resolve_credentials,
)
from wyzepal_notifier.errors import ConfigError, ConfigNotFound

KEY = "abcdefghijklmnopqrstuvwxyz012345"
GOOD = f"""
WYZEPAL_SITE = "https://chat.example.com"
WYZEPAL_USER = "trac-bot@example.com"
WYZEPAL_API_KEY = "{KEY}"
STREAM_FOR_NOTIFICATIONS = "trac"
"""
EXTRA = [Field("NOTIFY_ON", list, default=["created"], choices=["created", "changed", "closed"],
               help="which events are announced")]


def write(folder, text, name="wyzepal_demo_config.py", mode=0o600):
    path = folder / name
    path.write_text(textwrap.dedent(text))
    os.chmod(path, mode)
    return path


def load(path, **kw):
    return load_settings("demo", EXTRA, explicit=path, env=kw.pop("env", {}), **kw)


def test_found_beside_the_script(tmp_path):
    write(tmp_path, GOOD)
    script = tmp_path / "hook.py"
    script.write_text("")
    assert locate_config("demo", beside=script, env={}) == tmp_path / "wyzepal_demo_config.py"


def test_explicit_beats_environment_beats_beside(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    beside = write(tmp_path, GOOD)
    in_env = write(tmp_path / "a", GOOD)
    explicit = write(tmp_path / "b", GOOD)
    env = {"WYZEPAL_DEMO_CONFIG": str(in_env)}
    assert locate_config("demo", explicit=explicit, beside=tmp_path, env=env) == explicit
    assert locate_config("demo", beside=tmp_path, env=env) == in_env
    assert locate_config("demo", beside=tmp_path, env={}) == beside


def test_not_found_lists_every_place_looked(tmp_path):
    with pytest.raises(ConfigNotFound) as info:
        locate_config("demo", beside=tmp_path / "hook.py", env={})
    text = str(info.value)
    assert "wyzepal_demo_config.py" in text
    assert "$WYZEPAL_DEMO_CONFIG" in text
    assert str(tmp_path / "wyzepal_demo_config.py") in text
    assert "wyzepal-integrations template demo -o FOLDER" in text


def test_explicit_path_that_does_not_exist_is_not_silently_skipped(tmp_path):
    write(tmp_path, GOOD)
    with pytest.raises(ConfigError, match="does not exist"):
        locate_config("demo", explicit=tmp_path / "typo.py", beside=tmp_path, env={})


def test_valid_file_loads_with_defaults(tmp_path):
    settings = load(write(tmp_path, GOOD))
    assert settings["STREAM_FOR_NOTIFICATIONS"] == "trac"
    assert settings["NOTIFY_ON"] == ["created"]
    assert settings.credentials.email == "trac-bot@example.com"


def test_syntax_error_names_file_and_line(tmp_path):
    path = write(tmp_path, GOOD + "STREAM = 'oops\n")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert str(path) in str(info.value) and "line 6" in str(info.value)


def test_missing_key_names_file_key_expectation_and_fix(tmp_path):
    path = write(tmp_path, GOOD.replace('STREAM_FOR_NOTIFICATIONS = "trac"', ""))
    with pytest.raises(ConfigError) as info:
        load(path)
    err = info.value
    assert (err.path, err.key) == (str(path), "STREAM_FOR_NOTIFICATIONS")
    assert "missing" in str(err) and "expected a string" in str(err) and "Fix: add STREAM_FOR_NOTIFICATIONS" in str(err)


@pytest.mark.parametrize(
    ("line", "key", "words"),
    [
        ('NOTIFY_ON = "created"', "NOTIFY_ON", "wrong type str"),
        ('NOTIFY_ON = ["created", "deleted"]', "NOTIFY_ON", "'deleted', which is not allowed"),
        ('WYZEPAL_USER = "not-an-email"', "WYZEPAL_USER", "not an email address"),
        ('WYZEPAL_SITE = "chat example com"', "WYZEPAL_SITE", "not a server address"),
        ("WYZEPAL_INSECURE = 'no'", "WYZEPAL_INSECURE", "wrong type str"),
        ("CONFIGURATIONS = ['ci']", "CONFIGURATIONS", "entry 0 is a str"),
    ],
)
def test_bad_values_name_the_key_and_how_to_fix(tmp_path, line, key, words):
    path = write(tmp_path, GOOD + line + "\n")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert info.value.key == key
    assert words in str(info.value)
    assert "Fix: set" in str(info.value) and str(path) in str(info.value)


def test_unknown_key_warns_with_closest_name(tmp_path):
    path = write(tmp_path, GOOD + 'NOTIFY_ONN = ["created"]\n')
    with pytest.warns(UnknownSettingWarning, match="NOTIFY_ONN; did you mean NOTIFY_ON"):
        load(path)


def test_environment_overrides_the_file(tmp_path):
    env = {"WYZEPAL_API_KEY": "fromtheenvironment0123456789abcd", "WYZEPAL_SITE": "https://other.example.com"}
    settings = load(write(tmp_path, GOOD), env=env)
    assert settings["WYZEPAL_API_KEY"] == env["WYZEPAL_API_KEY"]
    assert settings.credentials.site == "https://other.example.com"


def test_api_key_never_in_repr_or_errors(tmp_path):
    settings = load(write(tmp_path, GOOD))
    assert KEY not in repr(settings) and KEY not in repr(settings.credentials)
    path = write(tmp_path, GOOD + "WYZEPAL_API_KEY = 12345\n")
    with pytest.raises(ConfigError) as info:
        load(path)
    assert "12345" not in str(info.value)


def test_world_readable_file_with_key_warns(tmp_path):
    path = write(tmp_path, GOOD, mode=0o644)
    with pytest.warns(InsecureConfigWarning, match="chmod 600"):
        load(path)


def test_config_that_raises_is_reported_not_propagated(tmp_path):
    path = write(tmp_path, GOOD + "import nonexistent_module_xyz\n")
    with pytest.raises(ConfigError, match="ModuleNotFoundError"):
        load(path)


def test_wyzepalrc(tmp_path):
    rc = tmp_path / "wyzepalrc"
    rc.write_text(f"[api]\nemail=bot@example.com\nkey={KEY}\nsite=chat.example.com\ninsecure=true\n")
    os.chmod(rc, 0o600)
    creds = load_wyzepalrc(None, env={"WYZEPAL_CONFIG": str(rc)})
    assert (creds.email, creds.site, creds.insecure) == ("bot@example.com", "chat.example.com", True)
    assert KEY not in repr(creds)


@pytest.mark.parametrize(("text", "words"), [("[other]\nx=1\n", "no [api] section"),
                                             ("[api]\nemail=a@b.c\nsite=x\n", "[api] key"),
                                             ("not an ini", "not a valid INI"),
                                             ("[api]\nemail=a@b.c\nkey=k\nsite=x\ninsecure=maybe\n",
                                              "[api] insecure: is 'maybe' (expected true or false)")])
def test_wyzepalrc_errors(tmp_path, text, words):
    rc = tmp_path / "wyzepalrc"
    rc.write_text(text)
    rc.chmod(0o600)
    with pytest.raises(ConfigError) as info:
        load_wyzepalrc(str(rc), env={})
    assert words in str(info.value) and str(rc) in str(info.value)


def test_credentials_from_environment_alone(tmp_path):
    env = {"WYZEPAL_SITE": "chat.example.com", "WYZEPAL_USER": "ci@example.com", "WYZEPAL_API_KEY": KEY}
    creds = resolve_credentials(None, env=env)
    assert (creds.site, creds.email, creds.api_key) == ("chat.example.com", "ci@example.com", KEY)
    with pytest.raises(ConfigError, match="WYZEPAL_API_KEY"):
        resolve_credentials(str(write(tmp_path, GOOD.replace(f'WYZEPAL_API_KEY = "{KEY}"', ""))), env={})
