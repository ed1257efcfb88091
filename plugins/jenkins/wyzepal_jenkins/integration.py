"""The Jenkins integration: settings, where Jenkins is, and announcing a build."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional

from wyzepal_notifier import ConfigError, Configuration, Integration, Message

from .api import JenkinsAPI
from .build.model import Build
from .fields import JENKINS_FIELDS
from .message import check_templates, render
from .message.breakers import tell

#: The Jenkins CLI's variable names, so credentials bound for it work here too.
ENV_USER, ENV_TOKEN, ENV_URL = "JENKINS_USER_ID", "JENKINS_API_TOKEN", "JENKINS_URL"


class JenkinsIntegration(Integration):
    integration_id = "jenkins"
    name = "Jenkins"
    description = "Build notifications from a Jenkinsfile step or a watcher, and chat commands that start builds"
    settings_fields = JENKINS_FIELDS
    default_settings = {"TOPIC": "{job}"}

    def initialize(self) -> None:
        check_templates(self.settings.path, self.configurations)

    def announce(self, build: Build) -> int:
        """One message per configuration that matches and wants this kind of build; returns how many queued."""
        return self.announce_counted(build)[1]

    def announce_counted(self, build: Build) -> tuple[int, int]:
        """(messages wanted, messages queued): fewer queued means the outbox refused some."""
        rendered: list[Message] = []

        def counting(conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
            message = render(conf, event)
            if message is not None:
                rendered.append(message)
            return message

        queued = self.notify(build.event(), counting)
        return len(rendered), queued

    def tell_breakers(self, build: Build) -> int:
        """Direct messages to the culprits of a first failure who are chat users (DIRECT_MESSAGE_BREAKERS)."""
        return tell(self, build)

    def jenkins_api(self, *, url: Optional[str] = None, env: Optional[Mapping[str, str]] = None,
                    retries: int = 0) -> JenkinsAPI:
        """Jenkins as configured: ``url`` > JENKINS_URL in the file > $JENKINS_URL; env credentials win."""
        env = os.environ if env is None else env
        address = url or self.settings.get("JENKINS_URL") or env.get(ENV_URL)
        if not address:
            raise ConfigError("is not set", path=self.settings.path, key="JENKINS_URL",
                              expected="the Jenkins address", fix="add JENKINS_URL = 'https://jenkins.example.com/'")
        # JENKINS_USER is the name (file and environment); JENKINS_USER_ID, the first spelling, stays an alias.
        user = (env.get("JENKINS_USER") or env.get(ENV_USER) or self.settings.get("JENKINS_USER")
                or self.settings.get("JENKINS_USER_ID"))
        token = env.get(ENV_TOKEN) or self.settings.get("JENKINS_API_TOKEN")
        return JenkinsAPI(address, user, token, timeout=float(self.settings["JENKINS_TIMEOUT"]), retries=retries)

    def state_path(self) -> Path:
        configured = self.settings.get("STATE_PATH")
        if configured:
            return Path(configured).expanduser()
        return Path(self.settings.path).resolve().parent / "wyzepal_jenkins_watch_state.json"
