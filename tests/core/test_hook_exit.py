"""A hook's process ends at once once its work is done (``scripthook.runner.exit_now``)."""
from __future__ import annotations

import subprocess
import sys
import textwrap

PROGRAM = textwrap.dedent("""
    import atexit, sys
    from wyzepal_notifier.scripthook.runner import exit_now

    class Torn:
        def __del__(self):
            print("torn down", flush=True)

    kept = Torn()  # a module global: freed only by the interpreter's teardown
    atexit.register(lambda: print("exit handler ran"))
    print("buffered output", end="")  # a pipe is block-buffered: lost unless flushed
    sys.stderr.write("an error line")
    exit_now(3)
""")


def test_exit_handlers_run_output_is_flushed_and_the_teardown_is_skipped():
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, timeout=60)
    assert done.returncode == 3
    assert done.stdout == "exit handler ran\nbuffered output" or done.stdout == "buffered outputexit handler ran\n"
    assert "an error line" in done.stderr
    assert "torn down" not in done.stdout


def test_a_closed_stdout_does_not_turn_the_exit_into_a_traceback():
    program = ("import os\nfrom wyzepal_notifier.scripthook.runner import exit_now\n"
               "print('waiting in the buffer', end='')\nos.close(1)\nexit_now(0)\n")
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert done.stderr == ""
