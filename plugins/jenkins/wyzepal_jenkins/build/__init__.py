"""The neutral build event and the ways to learn about a build."""
from .collect import collect
from .environment import NotInJenkins, build_from_env, merge
from .model import Build, Change, FailedTest, Person, Streak, TestSummary

__all__ = ["Build", "Change", "FailedTest", "NotInJenkins", "Person", "Streak", "TestSummary", "build_from_env",
           "collect", "merge"]
