"""Jenkins' REST API, through python-jenkins."""
from .client import JenkinsAPI, item_path, item_url_path
from .errors import JenkinsError, JenkinsRefused, JenkinsRejected, JenkinsUnavailable, NotFound

__all__ = ["JenkinsAPI", "JenkinsError", "JenkinsRefused", "JenkinsRejected", "JenkinsUnavailable", "NotFound",
           "item_path", "item_url_path"]
