"""The watcher, ``wyzepal-jenkins-watch``: polls Jenkins and announces finished builds."""
