"""What a build step knows without asking: the variables Jenkins sets for every build.

See Jenkins' ``env-vars.html``: ``JOB_NAME`` is the full name with folders,
``BUILD_URL`` the build's page; the git plugin adds ``GIT_COMMIT`` and
``GIT_BRANCH``; multibranch pipelines add ``BRANCH_NAME`` and, for pull
requests, ``CHANGE_BRANCH``.
"""
from __future__ import annotations

from typing import Mapping, Optional

from .history import previous_from_git
from .model import Build
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
    )


def merge(known: Build, learnt: Build) -> Build:
    """Jenkins' answer, with the environment filling what the API left empty."""
    for name in ("url", "cause", "branch", "commit"):
        if not getattr(learnt, name) and getattr(known, name):
            setattr(learnt, name, getattr(known, name))
    return learnt
