"""Development-only tools: test doubles and demo props, never in the wheel users install.

Used from a clone of the repository (``python -m devtools.jenkins_simulator``,
``python -m devtools.jenkins_simulator.demo``, run from its top folder) and by
the tests. ``setup.cfg`` does not list these packages, and
``tests/core/test_packaging.py`` checks that the wheel leaves them out.
"""
