"""The build step, ``wyzepal-jenkins-notify``."""
