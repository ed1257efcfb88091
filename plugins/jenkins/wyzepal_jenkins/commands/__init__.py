"""Chat commands: ``build``, ``status``, ``last``, ``queue``, ``help``."""
