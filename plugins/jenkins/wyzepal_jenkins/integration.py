"""The Jenkins integration: settings, where Jenkins is, and announcing a build."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Optional

from wyzepal_notifier import ConfigError, Configuration, Integration, Message, WyzePalError

from .api import JenkinsAPI
from .build.model import Build
from .fields import JENKINS_FIELDS
from .living import LivingMessages
from .message import check_templates, render
from .message.breakers import tell
from .pushes import push_place, react_on_push

#: The Jenkins CLI's variable names, so credentials bound for it work here too.
ENV_USER, ENV_TOKEN, ENV_URL = "JENKINS_USER_ID", "JENKINS_API_TOKEN", "JENKINS_URL"


class JenkinsIntegration(Integration):
    integration_id = "jenkins"
    name = "Jenkins"
    description = "Build notifications from a Jenkinsfile step or a watcher, and chat commands that start builds"
    settings_fields = JENKINS_FIELDS
    default_settings = {"TOPIC": "{job}"}

    def initialize(self) -> None:
        self._living: Optional[LivingMessages] = None
        check_templates(self.settings.path, self.configurations)

    def announce(self, build: Build) -> int:
        """One message per configuration that matches and wants this kind of build; returns how many queued."""
        return self.announce_counted(build)[1]

    def announce_counted(self, build: Build, *, may_defer: bool = False) -> tuple[int, int]:
        """(messages wanted, messages queued): fewer queued means the outbox refused some.

        Configurations with LIVING_MESSAGE keep one message per build instead
        (see :mod:`.living`); ``may_defer`` (the watcher) raises ``Deferred``,
        before anything is queued, when the server cannot say whether a build's
        message exists, so the next poll tries again.
        """
        event = build.event()
        living_confs = [conf for conf in self.get_configs(event) if conf.get("LIVING_MESSAGE")]
        rendered: list[Message] = []

        def counting(conf: Configuration, event: Mapping[str, Any]) -> Optional[Message]:
            if conf.get("LIVING_MESSAGE"):
                return None
            message = render(conf, event)
            if message is not None:
                rendered.append(message)
            return message

        # Asked first for every configuration: a deferral must not leave half of them queued.
        known = [self.living.exists(conf, build, may_defer=may_defer, assume=build.result is not None)
                 for conf in living_confs]
        queued = self.notify(event, counting)
        wanted = len(rendered)
        for conf, exists in zip(living_confs, known):
            step = self.living.finish if build.result is not None else self.living.start
            try:
                if step(conf, build, exists):
                    wanted, queued = wanted + 1, queued + 1
            except WyzePalError as exc:
                wanted += 1
                self.log.error("%s #%d: the build's message in %s not queued: %s", build.job, build.number,
                               conf.stream, exc)
        self.react_on_pushes(build)
        return wanted, queued

    @property
    def living(self) -> LivingMessages:
        if self._living is None:
            self._living = LivingMessages(self)
        return self._living

    def react_on_pushes(self, build: Build) -> None:
        """The build's status on its commit's push message, for each configuration with PUSH_ANNOUNCEMENTS."""
        places = set()
        for conf in self.get_configs(build.event()):
            place = push_place(conf, build)
            if place is None or place in places:
                continue
            places.add(place)
            try:
                react_on_push(self.living, conf, build)
            except WyzePalError as exc:
                self.log.error("%s #%d: no reaction on the push message: %s", build.job, build.number, exc)

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
