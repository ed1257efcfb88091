"""A Jenkins REST API simulator for tests and the demo (no Jenkins can run here).

It serves the JSON shapes real Jenkins serves (``/api/json`` with ``tree`` and
``depth``, folders, builds with change sets, culprits and causes, test reports,
the queue, crumbs, basic auth with API tokens, 401/403/404) so python-jenkins
talks to it over real HTTP exactly as it would to a controller.
"""
from .builds import Change, TestCase, scm_cause, timer_cause, upstream_cause, user_cause
from .model import Jenkins, User
from .server import JenkinsSimulator

__all__ = ["Change", "Jenkins", "JenkinsSimulator", "TestCase", "User", "scm_cause", "timer_cause",
           "upstream_cause", "user_cause"]
