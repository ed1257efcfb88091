"""Script integrations: tools that run our script and pass it their data (git, Subversion).

What every such hook shares lives here once: finding the config beside the hook
when there is no HOME, running the host's own commands with a bare PATH,
templates and destination functions in the config, and a ``main`` that routes,
renders and queues without ever failing the host's commit or push.
"""
from .command import HostCommandError, find_program, run_program
from .destination import destination_field, routed
from .listing import cap_field, capped
from .locate import find_hook_config
from .runner import DryRunOutbox, ScriptHook, script_folder
from .templates import fill, template_field

__all__ = [
    "DryRunOutbox",
    "HostCommandError",
    "ScriptHook",
    "cap_field",
    "capped",
    "destination_field",
    "fill",
    "find_hook_config",
    "find_program",
    "routed",
    "run_program",
    "script_folder",
    "template_field",
]
