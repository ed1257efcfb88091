"""What a build step knows without asking: the variables Jenkins sets for every build.

See Jenkins' ``env-vars.html``: ``JOB_NAME`` is the full name with folders,
``BUILD_URL`` the build's page; the git plugin adds ``GIT_COMMIT`` and
``GIT_BRANCH``; multibranch pipelines add ``BRANCH_NAME`` and, for pull
requests, ``CHANGE_BRANCH`` and the rest of the branch source's ``CHANGE_*``
(``CHANGE_ID``, ``CHANGE_URL``, ``CHANGE_TITLE``, ``CHANGE_AUTHOR``,
``CHANGE_AUTHOR_DISPLAY_NAME``, ``CHANGE_TARGET``).
"""
from __future__ import annotations

from typing import Mapping, Optional

from .history import previous_from_git
from .model import Build, PullRequest
from .parse import short_branch


class NotInJenkins(ValueError):
    """JOB_NAME or BUILD_NUMBER is missing: not run by Jenkins and not given on the command line."""


def build_from_env(env: Mapping[str, str], *, job: Optional[str] = None, number: Optional[int] = None) -> Build:
    job = job or env.get("JOB_NAME")
    raw_number = number if number is not None else env.get("BUILD_NUMBER")
    if not job or raw_number in (None, ""):
        raise NotInJenkins("JOB_NAME and BUILD_NUMBER are not set: run this inside a Jenkins build, "
                           "or pass --job and --build-number")
    try:
        build_number = int(raw_number)  # type: ignore[arg-type]
    except ValueError:
        raise NotInJenkins(f"BUILD_NUMBER is {raw_number!r}, not a number") from None
    user = env.get("BUILD_USER")
    return Build(
        job=job,
        number=build_number,
        url=env.get("BUILD_URL") or None,
        cause=f"Started by user {user}" if user else None,
        branch=env.get("CHANGE_BRANCH") or env.get("BRANCH_NAME") or short_branch(env.get("GIT_BRANCH")),
        commit=env.get("GIT_COMMIT") or None,
        previous_result=previous_from_git(env),
        pull_request=pull_request_from_env(env),
    )


def pull_request_from_env(env: Mapping[str, str]) -> Optional[PullRequest]:
    if not env.get("CHANGE_ID"):
        return None
    return PullRequest(env["CHANGE_ID"], url=env.get("CHANGE_URL", ""), title=env.get("CHANGE_TITLE", ""),
                       author=env.get("CHANGE_AUTHOR_DISPLAY_NAME") or env.get("CHANGE_AUTHOR", ""),
                       target=env.get("CHANGE_TARGET", ""))


def merge(known: Build, learnt: Build) -> Build:
    """Jenkins' answer, with the environment filling what the API left empty.

    The branch and commit are the other way round: ``BRANCH_NAME``/``GIT_BRANCH``
    and ``GIT_COMMIT`` are the job's own checkout, while Jenkins' ``BuildData``
    may be a shared library's (a pipeline checks its libraries out too).
    """
    for name in ("url", "cause"):
        if not getattr(learnt, name) and getattr(known, name):
            setattr(learnt, name, getattr(known, name))
    for name in ("branch", "commit", "pull_request"):  # the branch source's CHANGE_* say more than the job
        if getattr(known, name):
            setattr(learnt, name, getattr(known, name))
    return learnt
