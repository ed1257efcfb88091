"""The install ways the README gives: the command copied into hooks/, or called from an existing hook."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

from gitrig import line

README = Path(__file__).resolve().parents[2] / "plugins" / "git" / "README.md"


def existing_hook_example() -> str:
    """The README's shell snippet for a repository that already has a post-receive hook."""
    text = README.read_text()
    found = re.search(r"Already have a `post-receive`\?.*?```sh\n(.*?)```", text, re.S)
    assert found, "the README lost its existing-hook example"
    return found.group(1)


def test_the_command_copied_into_hooks(remote, devserver):
    hook = remote.bare / "hooks" / "post-receive"
    program = hook.resolve()
    hook.unlink()
    shutil.copy(program, hook)
    sha = remote.commit("Copied hook")
    remote.push("origin", "main")

    found = devserver.wait_for_messages(1, timeout=10, topic="main")
    assert found[0]["content"].endswith(line(sha, "Copied hook"))


def test_called_from_an_existing_hook_as_the_readme_shows(remote, devserver):
    hook = remote.bare / "hooks" / "post-receive"
    program = hook.resolve()  # not in hooks/: the config is found through the repository
    hook.unlink()
    other = remote.root / "other-hook"
    seen_by_other = remote.root / "seen-by-other"
    other.write_text(f"#!/bin/sh\ncat > {seen_by_other}\n")
    other.chmod(0o755)
    snippet = existing_hook_example()
    hook.write_text(snippet.replace("/usr/local/bin/wyzepal-git-post-receive", str(program))
                    .replace("/path/to/the/other/hook", str(other)))
    hook.chmod(0o755)
    old = remote.rev("HEAD")
    sha = remote.commit("Two hooks, one push")
    remote.push("origin", "main")

    found = devserver.wait_for_messages(1, timeout=10, topic="main")
    assert found[0]["content"].endswith(line(sha, "Two hooks, one push"))
    assert seen_by_other.read_text() == f"{old} {sha} refs/heads/main\n"
