"""Helpers the Jenkins tests share: the simulator's users and a build's environment."""
from __future__ import annotations

from devtools.jenkins_simulator import JenkinsSimulator

READER = ("wyzepal", "r" * 32)
ALICE = ("alice", "a" * 32)


def jenkins_env(sim: JenkinsSimulator, job: str, number: int, **extra: str) -> dict[str, str]:
    """The variables Jenkins sets for a build (and nothing of the test runner's environment)."""
    build_url = sim.jenkins.job(job).url + f"{number}/" if sim.jenkins.find(job) else f"{sim.url}job/{job}/{number}/"
    env = {"JOB_NAME": job, "BUILD_NUMBER": str(number), "BUILD_URL": build_url, "JENKINS_URL": sim.url,
           "BUILD_ID": str(number), "BUILD_TAG": f"jenkins-{job.replace('/', '-')}-{number}", "NODE_NAME": "built-in",
           "WORKSPACE": "/var/jenkins_home/workspace/app", "GIT_BRANCH": "origin/main",
           "GIT_COMMIT": "0123456789abcdef0123456789abcdef01234567"}
    env.update(extra)
    return env
