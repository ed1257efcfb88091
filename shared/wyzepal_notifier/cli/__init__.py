"""The ``wyzepal-integrations`` command."""
