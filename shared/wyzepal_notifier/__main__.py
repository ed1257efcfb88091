"""``python -m wyzepal_notifier`` is ``wyzepal-integrations``."""
import sys

from .cli.main import main

sys.exit(main())
