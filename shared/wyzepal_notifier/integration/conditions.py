"""Whether an event matches a configuration's conditions.

A condition maps an event key to what it must be: a glob string (``"deploy-*"``),
a list of alternatives (``["FAILURE", "UNSTABLE"]``), a callable predicate, or any
other value compared for equality. Every condition must hold; an event lacking
the key does not match.
"""
from __future__ import annotations

import fnmatch
from typing import Any, Callable, Mapping, Union

Condition = Union[str, list, tuple, set, Callable[[Any], bool], Any]


def matches(conditions: Mapping[str, Condition], event: Mapping[str, Any]) -> bool:
    return all(key in event and _value_matches(expected, event[key]) for key, expected in conditions.items())


def _value_matches(expected: Condition, actual: Any) -> bool:
    if callable(expected):
        return bool(expected(actual))
    if isinstance(expected, (list, tuple, set, frozenset)):
        return any(_value_matches(option, actual) for option in expected)
    if isinstance(actual, (list, tuple, set, frozenset)):
        return any(_value_matches(expected, item) for item in actual)
    if isinstance(expected, str) and actual is not None:
        return fnmatch.fnmatchcase(str(actual), expected)
    return expected == actual
