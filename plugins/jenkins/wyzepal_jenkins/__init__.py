"""WyzePal bridge for Jenkins: build notifications and chat commands.

Three ways in, one message format: ``wyzepal-jenkins-notify`` (a build step),
``wyzepal-jenkins-watch`` (polls Jenkins; optionally answers chat commands).
"""
from .integration import JenkinsIntegration

__all__ = ["JenkinsIntegration"]
