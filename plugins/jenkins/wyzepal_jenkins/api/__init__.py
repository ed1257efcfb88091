"""Jenkins' REST API, through python-jenkins."""
from .client import JenkinsAPI, item_path
from .errors import JenkinsError, JenkinsRefused, JenkinsUnavailable, NotFound

__all__ = ["JenkinsAPI", "JenkinsError", "JenkinsRefused", "JenkinsUnavailable", "NotFound", "item_path"]
