"""Hostile config files, and a runner that feeds them to one host's config loading.

The table is shared by ``tests/core/test_config_hardening.py`` (check, the git
and Subversion hooks, the Hubot bridge), ``tests/trac/test_trac_config_hardening.py``
and ``tests/jenkins/test_jenkins_config_hardening.py``. Each host runs in a
subprocess of its own (``python hostile_configs.py HOST FOLDER``) that calls the
host's real entry point once per case, in process, and reports as JSON what it
returned, printed and logged, and whether anything escaped it (a ``SystemExit``
escaping ``main`` is a Jenkins build failed by its notification; a
``KeyboardInterrupt`` escaping Trac's listener is a request left unanswered).

What every case must give, from every host: the host survives (its usual exit
status, nothing escapes), the message names the file (and the line when the
problem has one), and the API key never appears.
"""
from __future__ import annotations

import io
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

KEY = "k3yL34k5ecr3tABCDEF0123456789xyz"
HEAD = (
    'WYZEPAL_SITE = "https://chat.example.com"\n'
    'WYZEPAL_USER = "bot@example.com"\n'
    f'WYZEPAL_API_KEY = "{KEY}"\n'
    'STREAM_FOR_NOTIFICATIONS = "general"\n'
)
#: The line number of the first line a case adds after HEAD.
FIRST = HEAD.count("\n") + 1


@dataclass(frozen=True)
class Case:
    name: str
    body: bytes = b""
    #: The line the message must name (None: the problem has no line).
    line: Optional[int] = None
    #: "file" (HEAD + body), "folder", "loop", "dangling", "empty-named".
    kind: str = "file"
    #: A word the message must contain, so a vague message fails too.
    says: str = ""


def _c(name: str, body: str, line: Optional[int] = FIRST, says: str = "") -> Case:
    return Case(name, body.encode("utf-8"), line, says=says)


CASES = [
    _c("sys_exit", "import sys\nsys.exit()\n", FIRST + 1, "SystemExit"),
    _c("sys_exit_1", "raise SystemExit(1)\n", says="SystemExit"),
    _c("sys_exit_key", "raise SystemExit(WYZEPAL_API_KEY)\n", says="SystemExit"),
    _c("exit_builtin", "exit(3)\n", says="SystemExit"),
    _c("quit_builtin", "quit()\n", says="SystemExit"),
    _c("keyboard_interrupt", "raise KeyboardInterrupt\n", says="KeyboardInterrupt"),
    _c("generator_exit", "raise GeneratorExit\n", says="GeneratorExit"),
    _c("own_base_exception", "class Boom(BaseException):\n    pass\n\n\nraise Boom('no')\n", FIRST + 4, "Boom"),
    _c("exit_in_function", "def helper():\n    raise SystemExit(2)\n\n\nTOPIC = helper()\n", FIRST + 1,
       "SystemExit"),
    _c("key_in_int", "PORT = int(WYZEPAL_API_KEY)\n", says="ValueError"),
    _c("key_in_value_error", "raise ValueError(WYZEPAL_API_KEY)\n", says="ValueError"),
    _c("key_in_key_error", "TOPIC = {}[WYZEPAL_API_KEY]\n", says="KeyError"),
    _c("key_in_assert", "assert WYZEPAL_API_KEY == 'x', WYZEPAL_API_KEY\n", says="AssertionError"),
    _c("key_in_format", "TOPIC = '{0:d}'.format(WYZEPAL_API_KEY)\n", says="ValueError"),
    _c("key_in_concat_message", "raise RuntimeError('bad key ' + WYZEPAL_API_KEY[:20] + '...')\n",
       says="RuntimeError"),
    _c("key_in_env_lookup", "import os\nTOPIC = os.environ[WYZEPAL_API_KEY]\n", FIRST + 1, "KeyError"),
    _c("unprintable_exception", "class E(Exception):\n    def __str__(self):\n        raise SystemExit(1)\n\n\n"
       "raise E()\n", FIRST + 5, "E"),
    _c("huge_message", "raise ValueError('x' * 200000)\n", says="ValueError"),
    _c("recursion", "def f():\n    return f()\n\n\nf()\n", FIRST + 1, "RecursionError"),
    _c("memory_error", "raise MemoryError\n", says="MemoryError"),
    _c("missing_module", "import wyzepal_no_such_module\n", says="wyzepal_no_such_module"),
    _c("syntax_error", "TOPIC = (\n", None, "not valid Python"),
    _c("syntax_error_on_key_line", 'WYZEPAL_API_KEY = "' + KEY + '\n', FIRST, "not valid Python"),
    _c("indentation_error", "if True:\nTOPIC = 'x'\n", FIRST + 1, "not valid Python"),
    _c("key_warned", "import warnings\nwarnings.warn(WYZEPAL_API_KEY)\nraise SystemExit(1)\n", FIRST + 2, "SystemExit"),
    Case("bad_utf8_byte", b"# caf\xe9 au lait\nTOPIC = 'x'\n", FIRST, says="UTF-8"),
    Case("bad_byte_on_key_line", f'WYZEPAL_API_KEY = "{KEY}\xff"\n'.encode("latin-1"), FIRST, says="UTF-8"),
    Case("nul_byte", b"TOPIC = 'a'\x00\n", None, says="NUL"),
    Case("utf16_file", ("\ufeff" + HEAD).encode("utf-16"), None, says="UTF-8", kind="raw"),
    _c("configurations_not_a_list", "CONFIGURATIONS = {'stream': 'x'}\n", None, "CONFIGURATIONS"),
    _c("configurations_entry_not_a_dict", "CONFIGURATIONS = ['general']\n", None, "CONFIGURATIONS"),
    _c("configurations_settings_a_string", "CONFIGURATIONS = [{'settings': 'general'}]\n", None, "CONFIGURATIONS"),
    _c("configurations_settings_a_number", "CONFIGURATIONS = [{'settings': 5}]\n", None, "CONFIGURATIONS"),
    _c("configurations_settings_unhashable_key", "CONFIGURATIONS = [{'settings': {('a',): 1}}]\n", None,
       "CONFIGURATIONS"),
    _c("configurations_conditions_a_list", "CONFIGURATIONS = [{'conditions': ['x']}]\n", None, "CONFIGURATIONS"),
    _c("configurations_key_in_wrong_type", "CONFIGURATIONS = [{'settings': {'TOPIC': WYZEPAL_API_KEY.encode()}}]\n",
       None, "CONFIGURATIONS"),
    _c("configurations_unknown_key_with_key", "CONFIGURATIONS = [{'api_key': WYZEPAL_API_KEY}]\n", None,
       "CONFIGURATIONS"),
    _c("key_as_bytes_topic", "TOPIC = WYZEPAL_API_KEY.encode()\n", None, "TOPIC"),
    _c("key_in_list_topic", "TOPIC = ['x', WYZEPAL_API_KEY]\n", None, "TOPIC"),
    _c("key_as_site", "WYZEPAL_SITE = WYZEPAL_API_KEY\n", None, "WYZEPAL_SITE"),
    _c("repr_raises", "class R:\n    def __repr__(self):\n        raise SystemExit(1)\n\n\nTOPIC = R()\n", None,
       "TOPIC"),
    _c("class_raises_keyboard_interrupt", "class Q:\n    @property\n    def __class__(self):\n"
       "        raise KeyboardInterrupt\n\n\nWYZEPAL_INSECURE = Q()\n", None, "WYZEPAL_INSECURE"),
    _c("configurations_entry_get_exits", "class D(dict):\n    def get(self, *args):\n        raise SystemExit(3)\n\n\n"
       "CONFIGURATIONS = [D(stream='general')]\n", None, "SystemExit"),
    Case("folder", kind="folder", says="folder"),
    Case("symlink_loop", kind="loop", says="link"),
    Case("dangling_symlink", kind="dangling", says="link"),
]

#: Cases whose config loads: its callables fail only when an event is routed (Trac, ``Integration.notify``).
EVENT_CASES = [
    _c("condition_sys_exit", "CONFIGURATIONS = [{'conditions': {'type': lambda value: exit(1)}}]\n", None),
    _c("condition_keyboard_interrupt",
       "def stop(value):\n    raise KeyboardInterrupt\n\n\nCONFIGURATIONS = [{'conditions': {'type': stop}}]\n", None),
    _c("condition_leaks_key",
       "CONFIGURATIONS = [{'conditions': {'type': lambda value: int(WYZEPAL_API_KEY)}}]\n", None),
]


def write_case(case: Case, folder: Path, tool: str) -> Path:
    """The case's config as ``folder/wyzepal_<tool>_config.py`` (the path every host is given)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"wyzepal_{tool}_config.py"
    if case.kind == "folder":
        path.mkdir()
    elif case.kind == "loop":
        os.symlink(path.name, path)
    elif case.kind == "dangling":
        os.symlink(folder / "nowhere.py", path)
    elif case.kind == "raw":
        path.write_bytes(case.body)
    else:
        path.write_bytes(HEAD.encode() + case.body)
    if case.kind in ("file", "raw"):
        os.chmod(path, 0o600)
    return path


# -- the runner: one host, every case, in one process --------------------------------------------------

def _reset_logging() -> None:
    for name in (None, "wyzepal_notifier", "wyzepal_hubot"):
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)


def _call(host: str, path: Path, workdir: Path) -> object:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir)}
    if host == "check":
        from wyzepal_notifier.cli.main import main
        return main(["check", "--config", str(path)])
    if host == "git":
        import subprocess

        from wyzepal_git.hook import main
        repo = workdir / "repo.git"  # the hook runs inside the repository it was pushed to
        subprocess.run(["git", "init", "-q", "--bare", str(repo)], check=True)
        os.chdir(repo)
        sys.stdin = io.StringIO("")
        return main(["--config", str(path)])
    if host == "svn":
        from wyzepal_svn.hook import main
        return main([str(workdir), "1", "--config", str(path)])
    if host == "hubot":
        from wyzepal_hubot.cli import main
        sys.stdin = io.StringIO("")
        return main(["--config", str(path), "--check"])
    if host == "jenkins":
        from wyzepal_jenkins.step.cli import main
        return main(["--config", str(path)], env=env)
    if host == "trac":
        return _trac(path, workdir)
    raise SystemExit(f"unknown host {host}")


def _trac(path: Path, workdir: Path) -> object:
    """Trac's own path: the notifier's search (the config in the environment's plugins folder)."""
    from wyzepal_trac.components.announcer import Announcer
    from wyzepal_trac.components.config_file import find_config
    from wyzepal_trac.components.held_events import HeldEvents

    log = logging.getLogger("trac.hostile")
    log.propagate = False
    handler = logging.StreamHandler(sys.stderr)
    log.handlers[:] = [handler]
    held = HeldEvents(workdir / "held.sqlite3")
    announcer = Announcer(lambda: find_config(None, [str(path.parent)], env={}), held, log)
    announcer.announce({"type": "ticket", "action": "created", "id": 1})
    return {"held": held.count(), "problem": announcer.problem}


def run(host: str, root: Path, names: list[str]) -> list[dict]:
    results = []
    for name in names:
        case_dir = root / name
        path = case_dir / f"wyzepal_{host_tool(host)}_config.py"
        out, err = io.StringIO(), io.StringIO()
        escaped = None
        returned = None
        _reset_logging()
        saved = sys.stdout, sys.stderr, sys.stdin
        try:
            sys.stdout, sys.stderr = out, err
            returned = _call(host, path, case_dir)
        except BaseException as exc:  # noqa: B036 - that is what the table looks for
            escaped = type(exc).__name__
        finally:
            sys.stdout, sys.stderr, sys.stdin = saved
        results.append({"case": name, "returned": returned, "escaped": escaped,
                        "output": (out.getvalue() + err.getvalue())[:20000]})
    return results


def host_tool(host: str) -> str:
    return "trac" if host == "trac" else {"check": "git"}.get(host, host)


def run_host(host: str, root: Path, cases: list = CASES) -> dict[str, dict]:
    """Write every case under ``root`` and run them through ``host`` in a process of its own: case name -> result."""
    import subprocess

    for case in cases:
        write_case(case, root / case.name, host_tool(host))
    done = subprocess.run([sys.executable, __file__, host, str(root), *[c.name for c in cases]],
                          capture_output=True, text=True, timeout=300, cwd=str(root))
    assert done.returncode == 0, done.stderr[-3000:]
    return {item["case"]: item for item in json.loads(done.stdout)}


if __name__ == "__main__":
    chosen, where = sys.argv[1], Path(sys.argv[2])
    print(json.dumps(run(chosen, where, sys.argv[3:])), file=sys.__stdout__)
