"""The copy-and-edit template: valid as shipped, and it explains every setting."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from wyzepal_jenkins.fields import JENKINS_FIELDS
from wyzepal_jenkins.integration import JenkinsIntegration

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "wyzepal_jenkins_config.py"


def test_the_template_loads_as_shipped(tmp_path):
    copy = tmp_path / TEMPLATE.name
    shutil.copy(TEMPLATE, copy)
    copy.chmod(0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        integration = JenkinsIntegration.load(explicit=copy, env={})
    assert integration.settings["NOTIFY_FIRST_FAILURE"] and not integration.settings["NOTIFY_SUCCESS"]
    assert integration.settings["TOPIC"] == "{job}"


def test_the_template_mentions_every_setting():
    text = TEMPLATE.read_text(encoding="utf-8")
    missing = [field.name for field in JENKINS_FIELDS if field.name not in text]
    assert missing == []
