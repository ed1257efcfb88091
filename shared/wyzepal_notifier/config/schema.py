"""Typed settings: declared once with type, default, choices and help (as Trac's Options).

No dataclasses here: every hook run imports this module (see ``config.credentials``).
"""
from __future__ import annotations

import warnings
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Optional, Sequence

from ..errors import ConfigError, describe_exception

_MISSING = object()

#: How switches are written where only text exists (environment variables, INI files).
BOOLEAN_WORDS = {"1": True, "true": True, "yes": True, "on": True,
                 "0": False, "false": False, "no": False, "off": False}

_TYPE_NAMES = {str: "a string", bool: "True or False", int: "a whole number", float: "a number",
               list: "a list", dict: "a dict"}


class UnknownSettingWarning(UserWarning):
    """A config file names a key no field declares (often a typo)."""


class Field(NamedTuple):
    """One setting: what a config file may say, and what happens when it says nothing."""

    name: str
    type: Any = str
    default: Any = None
    required: bool = False
    choices: Optional[Sequence[Any]] = None
    help: str = ""
    secret: bool = False
    check: Optional[Callable[[Any], Optional[str]]] = None
    expects: str = ""

    def expected(self) -> str:
        if self.expects:
            return self.expects
        if self.choices is not None:
            what = ", ".join(repr(c) for c in self.choices)
            return f"one of {what}" if self.type is not list else f"a list of {what}"
        if isinstance(self.type, tuple):
            return " or ".join(_TYPE_NAMES.get(t, getattr(t, "__name__", str(t))) for t in self.type)
        return _TYPE_NAMES.get(self.type, getattr(self.type, "__name__", str(self.type)))

    def from_text(self, raw: str, path: str, key: Optional[str] = None) -> Any:
        """A value written as text (``true``, ``off``), typed by this field, then validated."""
        text = raw.strip()
        if self.type is bool:
            if text.lower() not in BOOLEAN_WORDS:
                raise ConfigError(f"is {raw!r}", path=path, key=key or self.name, expected="true or false",
                                  fix=f"set {key or self.name} to true or false")
            return self.validate(BOOLEAN_WORDS[text.lower()], path)
        return self.validate(text, path)

    def validate(self, value: Any, path: str) -> Any:
        """Return the value, or raise a ConfigError naming file, key and fix."""
        if not _is_instance(value, self.type):
            raise self._error(path, f"has the wrong type {type(value).__name__} ({shown(value)})" if not self.secret
                              else f"has the wrong type {type(value).__name__}")
        if self.choices is not None:
            items = value if isinstance(value, (list, tuple)) else [value]
            bad = [item for item in items if item not in self.choices]
            if bad:
                raise self._error(path, f"has the value {shown(bad[0])}, which is not allowed")
        if self.check is not None:
            problem = self.check(value)
            if problem:
                raise self._error(path, problem)
        return value

    def checked(self, value: Any, path: str) -> Any:
        """:meth:`validate`, where anything a hostile value raises (even ``KeyboardInterrupt``) is a ConfigError."""
        try:
            return self.validate(value, path)
        except ConfigError:
            raise
        except BaseException as exc:  # noqa: B036 - a config's object must not stop the host
            raise self._error(path, f"could not be checked ({describe_exception(exc)})") from None

    def _error(self, path: str, problem: str) -> ConfigError:
        fix = f"set {self.name} to {self.expected()}"
        if self.help:
            fix += f" ({self.help})"
        return ConfigError(problem, path=path, key=self.name, expected=self.expected(), fix=fix)


class Schema:
    """A set of fields; validates a config file's values as a whole."""

    def __init__(self, fields: Iterable[Field] = ()) -> None:
        self.fields: list[Field] = list(fields)
        self._by_name = {f.name: f for f in self.fields}

    def __repr__(self) -> str:
        return f"Schema({self.fields!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and other.fields == self.fields

    def extended(self, more: Iterable[Field]) -> Schema:
        merged = dict(self._by_name)
        merged.update({f.name: f for f in more})
        return Schema(list(merged.values()))

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __getitem__(self, name: str) -> Field:
        return self._by_name[name]

    def __iter__(self):
        return iter(self.fields)

    def validate(self, values: Mapping[str, Any], path: str, *, defaults: Mapping[str, Any] = (),
                 warn_unknown: bool = True) -> dict[str, Any]:
        """Check every field; warn about unknown keys with the closest known name."""
        if warn_unknown:
            self.warn_unknown(values, path)
        defaults = dict(defaults)
        result: dict[str, Any] = {}
        for fld in self.fields:
            value = values.get(fld.name, _MISSING)
            if value is _MISSING or value is None:
                value = defaults.get(fld.name, fld.default)
                if value is None and fld.required:
                    raise ConfigError("is missing", path=path, key=fld.name, expected=fld.expected(),
                                      fix=f"add {fld.name} = ... to {path}" + (f" ({fld.help})" if fld.help else ""))
                result[fld.name] = value
                continue
            result[fld.name] = fld.checked(value, path)
        return result

    def warn_unknown(self, values: Mapping[str, Any], path: str) -> None:
        for name in values:
            if name in self._by_name:
                continue
            import difflib  # only when a config has a typo: not on every hook run

            close = difflib.get_close_matches(name, list(self._by_name), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]}?" if close else ""
            warnings.warn(f"{path}: unknown setting {name}{hint}", UnknownSettingWarning, stacklevel=3)


def shown(value: Any, limit: int = 120) -> str:
    """``repr(value)`` for an error message: short, and never raising (a config's object may be hostile)."""
    try:
        text = repr(value)
    except BaseException:  # noqa: B036 - even a __repr__ raising SystemExit
        return f"<a {type(value).__name__} that cannot be shown>"
    return text if len(text) <= limit else text[:limit] + "…"


def _is_instance(value: Any, expected: Any) -> bool:
    types = expected if isinstance(expected, tuple) else (expected,)
    if bool not in types and isinstance(value, bool) and any(t in (int, float) for t in types):
        return False
    if float in types and isinstance(value, int) and not isinstance(value, bool):
        return True
    if list in types and isinstance(value, tuple):
        return True
    return isinstance(value, types)
