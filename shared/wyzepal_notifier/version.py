"""The single place the project's version lives (setup.cfg reads it)."""
__version__ = "1.0.0"
