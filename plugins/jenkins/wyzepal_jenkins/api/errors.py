"""Jenkins' failures in the project's terms, with a message a person can act on."""
from __future__ import annotations

from wyzepal_notifier import WyzePalError


class JenkinsError(WyzePalError):
    """Anything that went wrong asking Jenkins."""


class JenkinsUnavailable(JenkinsError):
    """Jenkins is down, slow or answering 5xx: try again later."""


class JenkinsRefused(JenkinsError):
    """Jenkins rejected the credentials or the user lacks a permission."""


class NotFound(JenkinsError):
    """The job, build or queue item does not exist (any more)."""


class JenkinsRejected(JenkinsError):
    """Jenkins understood and said no (HTTP 400, 405, 409...): a request that would fail again as it is."""

    def __init__(self, message: str, status: int = 0, said: str = "") -> None:
        super().__init__(message)
        self.status = status
        #: Jenkins' own words (the first line of its answer), if any.
        self.said = said
