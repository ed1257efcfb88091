"""Per-path routing and the destination function."""
from __future__ import annotations

from svnrig import changeset, spool_empties


def test_paths_route_revisions_to_their_channels(repo, devserver):
    repo.write_config(CONFIGURATIONS=[
        {"description": "web", "conditions": {"path": "/trunk/web"}, "stream": "web"},
        {"description": "api python", "conditions": {"path": "/trunk/api/*.py"}, "stream": "api", "topic": "python"},
        {"description": "everything", "stream": "commits"},
    ])
    web, _ = repo.commit("Web only", files={"trunk/web/site.css": "a {}\n"})
    api, _ = repo.commit("API docs", files={"trunk/api/README": "docs\n"})
    both, _ = repo.commit("Both", files={"trunk/web/app.js": "1\n", "trunk/api/views.py": "1\n"})

    devserver.wait_for_messages(6, timeout=15)
    assert spool_empties(repo.spool())  # all queued is delivered: nothing more can arrive
    got = sorted((m["display_recipient"], m["subject"], m["content"].split("\n")[0]) for m in devserver.messages())
    head = "**alice** committed {} to `repo`:".format
    assert got == sorted([
        ("web", "repo", head(changeset(web))), ("commits", "repo", head(changeset(web))),
        ("commits", "repo", head(changeset(api))),
        ("web", "repo", head(changeset(both))), ("api", "python", head(changeset(both))),
        ("commits", "repo", head(changeset(both))),
    ])


DESTINATION = '''
def commit_notice_destination(path, commit):
    repo = path.split("/")[-1]
    if int(commit) % 2 == 0:
        return None
    return dict(stream="web", subject="%s r%s" % (repo, commit))

COMMIT_NOTICE_DESTINATION = commit_notice_destination
'''


def test_destination_function_as_the_classic_hook_has_it(repo, devserver):
    repo.write_config(extra=DESTINATION, REPOSITORY_NAME="Shown Name")
    repo.commit("One", files={"a": "1\n"})
    repo.commit("Two", files={"b": "1\n"})
    three, _ = repo.commit("Three", files={"c": "1\n"})

    devserver.wait_for_messages(2, timeout=10)
    assert spool_empties(repo.spool())  # all queued is delivered: nothing more can arrive
    got = sorted((m["display_recipient"], m["subject"]) for m in devserver.messages())
    assert got == [("web", "repo r1"), ("web", f"repo r{three}")]
    assert devserver.messages()[0]["content"].startswith("**alice** committed " + changeset(1) + " to `Shown Name`:")


def test_author_condition(repo, devserver):
    repo.write_config(CONFIGURATIONS=[{"description": "bob's work", "conditions": {"author": "bob"}, "stream": "api"}])
    repo.commit("By alice", files={"a": "1\n"}, author="alice")
    bobs, _ = repo.commit("By bob", files={"b": "1\n"}, author="bob")

    devserver.wait_for_messages(1, timeout=10, stream="api")
    assert spool_empties(repo.spool())  # all queued is delivered: nothing more can arrive
    assert [m["content"].split("\n")[0] for m in devserver.messages()] == [
        f"**bob** committed {changeset(bobs)} to `repo`:"]
