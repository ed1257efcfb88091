"""A small Jenkins to look at: folders, a pipeline with parameters, a history of results."""
from __future__ import annotations

import time

from .builds import Change, TestCase, scm_cause, timer_cause, user_cause
from .model import Jenkins

MINUTE = 60_000


def sample_jenkins(admin_token: str) -> Jenkins:
    jenkins = Jenkins()
    jenkins.add_user("admin", "Ada Admin", token=admin_token, email="ada@example.com")
    jenkins.add_user("bob", "Bob Stone", email="bob@example.com")
    now = int(time.time() * 1000)
    jenkins.add_job("web/app", pipeline=True)
    jenkins.add_job("web/deploy-web", parameters={"TARGET": "staging", "VERSION": "latest"})
    jenkins.add_job("nightly")
    history = [("SUCCESS", scm_cause()), ("FAILURE", scm_cause()), ("FAILURE", user_cause("bob", "Bob Stone"))]
    for index, (result, cause) in enumerate(history):
        changes = [Change(f"{index:02d}c0ffee{index}", f"Change number {index + 1}", "bob", "Bob Stone",
                          "bob@example.com", ["src/app.py"])]
        tests = [TestCase("web.AppTest", "test_login", "FAILED" if result == "FAILURE" else "PASSED"),
                 TestCase("web.AppTest", "test_logout")]
        jenkins.run_build("web/app", result, cause=cause, changes=changes, tests=tests, duration_ms=95_000,
                          timestamp=now - (len(history) - index) * 30 * MINUTE)
    jenkins.run_build("nightly", "SUCCESS", cause=timer_cause(), duration_ms=600_000, timestamp=now - 600 * MINUTE)
    return jenkins
