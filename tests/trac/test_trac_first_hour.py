"""Trac's part of the first hour: the same search and the same "not found" as every other host."""
from __future__ import annotations

import pytest
from wyzepal_notifier.config import locate_config
from wyzepal_notifier.errors import ConfigError, ConfigNotFound
from wyzepal_trac.components.config_file import find_config


def test_nothing_found_lists_trac_ini_the_variable_and_both_folders(tmp_path):
    plugins, conf = tmp_path / "plugins", tmp_path / "conf"
    with pytest.raises(ConfigNotFound) as caught:
        find_config(None, [str(plugins), str(conf)], env={})
    text = str(caught.value)
    assert "[wyzepal] config in trac.ini (not set)" in text and "$WYZEPAL_TRAC_CONFIG (not set)" in text
    assert str(plugins / "wyzepal_trac_config.py") in text and str(conf / "wyzepal_trac_config.py") in text
    assert "wyzepal-integrations template trac -o FOLDER" in text and "templates/" not in text
    with pytest.raises(ConfigNotFound) as library:  # the library's own search says the same places and fix
        locate_config("trac", folders=[plugins, conf], env={})
    assert str(library.value) in text.replace("  - [wyzepal] config in trac.ini (not set)\n", "")


def test_a_config_named_in_trac_ini_that_is_a_folder_is_broken_not_missing(tmp_path):
    with pytest.raises(ConfigError) as caught:
        find_config(str(tmp_path), [], env={})
    assert not isinstance(caught.value, ConfigNotFound) and "is a folder" in str(caught.value)
