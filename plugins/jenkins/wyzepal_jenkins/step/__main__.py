"""``python -m wyzepal_jenkins.step``: the same as ``wyzepal-jenkins-notify``."""
import sys

from .cli import main

sys.exit(main())
