"""The integration class: one per host tool, many configurations per integration.

A plugin turns a host event into a neutral event (a dict), asks its integration
for the matching configurations, renders one message per configuration with the
safe formatting helpers and hands it to :meth:`Integration.send`. Everything
about HTTP, retries, spooling and config loading happens here, once.
"""
from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Callable, ClassVar, Iterator, Mapping, Optional

from ..config import Field, Settings, load_settings, settings_from_values
from ..config.locate import PathLike
from ..errors import ConfigError, WyzePalError, describe_exception
from ..message import Message
from ..version import __version__
from .configuration import Configuration

if TYPE_CHECKING:  # the client pulls in requests; a hook that only queues never needs it
    from ..client.client import Client

Render = Callable[[Configuration, Mapping[str, Any]], Optional[Message]]


class Integration:
    """Subclass per tool and declare the class attributes; instances hold one config file."""

    integration_id: ClassVar[str] = ""
    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    version: ClassVar[str] = __version__
    #: Settings the tool adds to the common ones (site, user, key, channel, ...).
    settings_fields: ClassVar[list[Field]] = []
    #: Defaults that override a field's own default for this tool (e.g. its TOPIC).
    default_settings: ClassVar[dict[str, Any]] = {}

    def __init__(self, settings: Settings, *, client: Optional[Client] = None, outbox: Any = None) -> None:
        self.settings = settings
        self.log = logging.getLogger(f"wyzepal_notifier.{self.integration_id}")
        self.configurations = list(self._build_configurations())
        self._client = client
        self._outbox = outbox
        self.initialize()

    def initialize(self) -> None:
        """Hook for subclasses: checks or set-up once the settings are known."""

    # -- loading ---------------------------------------------------------------

    @classmethod
    def load(cls, *, explicit: Optional[PathLike] = None, beside: Optional[PathLike] = None,
             env: Optional[Mapping[str, str]] = None, **options: Any) -> Integration:
        """Find and validate ``wyzepal_<id>_config.py``; raises one clear ConfigError."""
        settings = load_settings(cls.integration_id, cls.settings_fields, explicit=explicit, beside=beside,
                                 defaults=cls.default_settings, env=env)
        return cls.contained(settings, **options)

    @classmethod
    def from_values(cls, values: Mapping[str, Any], path: str = "<settings>",
                    env: Optional[Mapping[str, str]] = None, **options: Any) -> Integration:
        """Build from settings held elsewhere (trac.ini, a test's dict)."""
        settings = settings_from_values(values, path, cls.settings_fields, defaults=cls.default_settings, env=env)
        return cls.contained(settings, **options)

    @classmethod
    def contained(cls, settings: Settings, **options: Any) -> Integration:
        """``cls(settings)``; anything the config's values do while being built becomes a ConfigError.

        Building runs the file's values (CONFIGURATIONS entries, their objects);
        nothing from there may stop the host, not even ``SystemExit``.
        """
        try:
            return cls(settings, **options)
        except WyzePalError:
            raise
        except BaseException as exc:  # noqa: B036 - see above
            raise ConfigError(f"could not be used: {describe_exception(exc)}", path=settings.path,
                              fix="correct the file; it must only assign settings") from None

    @classmethod
    def user_agent_name(cls) -> str:
        return "WyzePal" + "".join(part.capitalize() for part in (cls.name or cls.integration_id).split())

    def _build_configurations(self) -> Iterator[Configuration]:
        entries = self.settings.get("CONFIGURATIONS")
        defaults = {k: v for k, v in self.settings.items() if k != "CONFIGURATIONS"}
        if not entries:
            yield Configuration("default", {}, defaults)
            return
        for index, entry in enumerate(entries):
            yield Configuration.from_entry(entry, index, defaults, self.settings.schema, self.settings.path)

    # -- routing and delivery ---------------------------------------------------

    def get_configs(self, event: Mapping[str, Any]) -> Iterator[Configuration]:
        """The enabled configurations whose conditions the event meets.

        Conditions can be the admin's code (``lambda m: float(m) >= 1`` meets an
        empty milestone): one that raises costs its own configuration the event,
        with a log line, and the others still get it.
        """
        for conf in self.configurations:
            try:
                matched = conf.matches(event)
            except (Exception, SystemExit, KeyboardInterrupt) as exc:  # the admin's code, run for every event
                self.log.error("%s: the conditions of configuration %r failed on a %s event (%s%s); it gets no "
                               "message", self.settings.path, conf.description, event.get("type", "event"),
                               describe_exception(exc), _config_line(exc, self.settings.path))
                continue
            if matched:
                yield conf

    def notify(self, event: Mapping[str, Any], render: Render) -> int:
        """Render and send one message per matching configuration; returns how many were queued."""
        queued = 0
        for conf in self.get_configs(event):
            try:
                message = render(conf, event)
            except Exception:  # a formatting bug must not cost the host its request
                self.log.exception("could not format %s for %s", event.get("type", "event"), conf.description)
                continue
            if message is not None and self.send(message):
                queued += 1
        return queued

    def send(self, message: Message) -> bool:
        """Queue a message for delivery; never raises into the host tool."""
        try:
            self.outbox.put(message)
            return True
        except WyzePalError as exc:
            self.log.error("message to %s not queued: %s", message.stream or ",".join(message.to), exc)
        except Exception:
            self.log.exception("message to %s not queued", message.stream or ",".join(message.to))
        return False

    @property
    def client(self) -> Client:
        if self._client is None:
            from ..client.client import Client

            self._client = Client.from_credentials(self.settings.credentials,
                                                   client_name=self.user_agent_name(), client_version=self.version)
        return self._client

    @property
    def outbox(self) -> Any:
        if self._outbox is None:
            from ..outbox import Outbox  # imported late: many callers only validate configs

            self._outbox = Outbox.for_integration(self)
        return self._outbox

    def close(self, timeout: Optional[float] = None, *, hand_over: bool = False,
              worker_env: Optional[Mapping[str, str]] = None) -> None:
        """Deliver what can be delivered within ``timeout``; the rest stays in the spool.

        ``hand_over=True`` (for a process about to exit, like a build step) leaves
        the rest to a detached worker that delivers once the server is back
        (``worker_env``: variables for that worker alone).
        """
        if self._outbox is None:
            return
        if hand_over:
            self._outbox.close(timeout, hand_over=True, worker_env=worker_env)
        else:
            self._outbox.close(timeout)


def _config_line(exc: BaseException, path: str) -> str:
    """`` at line N`` of the config file, from the traceback of something its code raised."""
    line, tb = None, exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == path:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f" at line {line}" if line else ""


__all__ = ["ConfigError", "Integration", "Render"]
