"""``python -m wyzepal_hubot``: the same as ``wyzepal-hubot-bridge``."""
import sys

from .cli import main

sys.exit(main())
