"""``python -m wyzepal_jenkins.watch``: the same as ``wyzepal-jenkins-watch``."""
import sys

from .cli import main

sys.exit(main())
