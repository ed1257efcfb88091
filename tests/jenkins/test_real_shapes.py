"""Build JSON recorded from real Jenkins servers (``fixtures/real/``, see its SOURCES.md) through the step and watcher.

The simulator serves the job and its history; the build's own answer is the
recorded one (``answer_next``), so what is checked is how the bridge reads what
real servers send, not what the simulator was taught.
"""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jenkinsrig import jenkins_env
from wyzepal_jenkins.build.parse import parse_build
from wyzepal_jenkins.build.tests import case_safe_name, case_url, raw_encode, safe, summarize
from wyzepal_jenkins.integration import JenkinsIntegration
from wyzepal_jenkins.step.cli import main as notify
from wyzepal_jenkins.watch.poller import Poller
from wyzepal_jenkins.watch.runner import Watcher
from wyzepal_jenkins.watch.state import WatchState

from devtools.jenkins_simulator import Change

REAL = Path(__file__).parent / "fixtures" / "real"


def recorded(name):
    return json.loads((REAL / name).read_text(encoding="utf-8"))


def test_every_fixture_is_listed_in_sources():
    sources = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    files = sorted(path.name for path in REAL.iterdir() if path.name != "SOURCES.md")
    assert files and [name for name in files if f"`{name}`" not in sources] == []


def step_message(jenkins_sim, write_config, devserver, job, number, data, **settings):
    """Run the step for ``job #number`` with Jenkins answering ``data`` for the build; the message that arrived."""
    sim = jenkins_sim.jenkins
    if sim.find(job) is None:
        sim.add_job(job)
    while sim.job(job).next_number <= number:
        sim.run_build(job, "SUCCESS")
    jenkins_sim.answer_next(1, 200, data, path=f"/{'/'.join('job/' + p for p in job.split('/'))}/{number}/api/json")
    env = jenkins_env(jenkins_sim, job, number)
    del env["GIT_BRANCH"], env["GIT_COMMIT"]  # what Jenkins says, not the environment
    assert notify(["--config", str(write_config(NOTIFY_SUCCESS=True, **settings))], env) == 0
    return devserver.wait_for_messages(1)[0]["content"]


def test_subversion_changes_show_their_revision_and_author(jenkins_sim, write_config, devserver):
    text = step_message(jenkins_sim, write_config, devserver, "foo", 1, recorded("jenkinsapi_build-svn-changeset.json"))
    assert "* `r3097` commit message (username)" in text


def test_hudson_era_subversion_items_without_commit_id_or_author(jenkins_sim, write_config, devserver):
    """Hudson exported ``revision`` and ``user`` only; ``commitId`` and ``author`` came later (Jenkins 1.4xx)."""
    data = recorded("jenkinsapi_build-svn-changeset.json")
    for item in data["changeSet"]["items"]:
        del item["commitId"], item["author"]
    text = step_message(jenkins_sim, write_config, devserver, "foo", 1, data)
    assert "* `r3097` commit message (username)" in text


def test_a_subversion_item_with_an_empty_message_from_a_real_server():
    data = recorded("jenkinsapi_build-svn-changeset.json")
    data["changeSet"]["items"][0]["msg"] = ""
    [change] = parse_build("foo", data).changes
    assert (change.commit, change.title, change.author.name) == ("r3097", "", "username")


def test_pipeline_change_sets_and_culprits(jenkins_sim, write_config, devserver):
    text = step_message(jenkins_sim, write_config, devserver, "fish", 10,
                        recorded("jenkins-rest_build-info-git-commit.json"))
    assert text.startswith(":check: [fish #10](http://localhost:32769/job/fish/10/) **succeeded**")
    assert "* `d27afa08` Commit comment (username)" in text and "Started by user anonymous" in text


def test_json_booleans_nulls_and_badge_actions():
    build = parse_build("fish", recorded("jenkins-rest_build-info.json"))
    assert build.parameters == {"bear": "true", "fish": "salmon"}  # not Python's "True"
    assert parse_build("fish", recorded("jenkins-rest_build-info-empty-and-null-params.json")).parameters == {
        "bear": "null", "fish": ""}
    assert build.cause == "Started by user anonymous" and build.changes == [] and build.changes_known


def test_a_build_without_culprits_names_the_authors():
    """Pipeline runs of some Jenkins versions export no ``culprits``; the changes' authors are the suspects."""
    data = recorded("jenkins-rest_build-info-git-commit.json")
    del data["culprits"]
    assert [p.name for p in parse_build("fish", data).culprits] == ["username"]


def test_the_git_plugin_build_data_with_several_branches_on_one_commit(jenkins_sim, write_config, devserver):
    text = step_message(jenkins_sim, write_config, devserver, "git_yssrtigfds", 3,
                        recorded("jenkinsapi_build-git-buildsbybranch.json"))
    assert "branch `unstable` · commit `7def9ed6`" in text


def with_library_checkout(data, branch="origin/master"):
    """The job's build as a pipeline that loaded a shared library makes it: the library's BuildData first."""
    data = copy.deepcopy(data)
    library = {"_class": "hudson.plugins.git.util.BuildData", "remoteUrls": ["https://git.example.com/ci-lib.git"],
               "lastBuiltRevision": {"SHA1": "1111111111111111111111111111111111111111",
                                     "branch": [{"SHA1": "1111111111111111111111111111111111111111",
                                                 "name": branch}]}, "scmName": ""}
    data["actions"].insert(1, library)
    return data


def test_several_checkouts_the_jobs_own_revision_is_shown():
    data = with_library_checkout(recorded("jenkinsapi_build-git-buildsbybranch.json"))
    build = parse_build("git_yssrtigfds", data)
    assert (build.branch, build.commit[:8]) == ("unstable", "7def9ed6")
    # a multibranch job is named after its branch: that checkout is the job's, wherever it comes
    multibranch = parse_build("team/app/master", with_library_checkout(data, "origin/unstable"))
    assert multibranch.branch == "master"


def test_a_real_library_loading_pipelines_actions_the_second_checkout_is_the_jobs():
    """A recorded pipeline run: LibrariesAction, the library's BuildData, EnvActionImpl, then the job's BuildData.

    The recording asked for ``actions[parameters[*]]`` only, so its BuildData carry just
    their ``_class``; the revisions are filled in here, in the recorded places.
    """
    data = recorded("devopsdock_pipeline-with-library-actions.json")
    library, own = [a for a in data["actions"] if a.get("_class") == "hudson.plugins.git.util.BuildData"]
    for action, sha, branch in ((library, "1" * 40, "main"), (own, "2" * 40, "release")):
        action["lastBuiltRevision"] = {"SHA1": sha, "branch": [{"SHA1": sha, "name": f"refs/remotes/origin/{branch}"}]}
    build = parse_build("DJD/CD-Deploy/Reboot", data)
    assert (build.branch, build.commit) == ("release", "2" * 40)
    assert build.parameters == {"SERVICE": "unibank-branch-onboarding", "ENV": "uat", "REBOOT": "true"}


def test_the_environment_beats_a_librarys_revision(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("app", pipeline=True)
    build = sim.run_build("app", "FAILURE", commit="2" * 40, branch="release")
    build.library_checkouts = [("https://git.example.com/ci-lib.git", "1" * 40, "origin/master")]
    env = jenkins_env(jenkins_sim, "app", 1, BRANCH_NAME="release", GIT_COMMIT="3" * 40)
    notify(["--config", str(write_config())], env)
    text = devserver.wait_for_messages(1)[0]["content"]
    assert "branch `release` · commit `33333333`" in text and "11111111" not in text


def test_the_watcher_reads_real_build_json(jenkins_sim, write_config, devserver):
    sim = jenkins_sim.jenkins
    sim.add_job("foo")
    integration = JenkinsIntegration.load(explicit=write_config(NOTIFY_SUCCESS=True), env={})
    watcher = Watcher(Poller(integration, integration.jenkins_api(env={}), WatchState.load(integration.state_path())),
                      1.0)
    watcher.poll_once()
    sim.run_build("foo", "SUCCESS")
    jenkins_sim.answer_next(1, 200, recorded("jenkinsapi_build-svn-changeset.json"), path="/job/foo/1/api/json")
    assert watcher.poll_once().announced == [("foo", 1, "success")]
    integration.close(5)
    text = devserver.wait_for_messages(1)[0]["content"]
    assert "`r3097` commit message (username)" in text


def test_multibranch_names_shown_decoded_and_linked_encoded(jenkins_sim, write_config, devserver):
    """A branch ``feature/login`` is the item ``feature%2Flogin``; its URL segment ``feature%252Flogin``."""
    sim = jenkins_sim.jenkins
    sim.add_job("team/app/feature%2Flogin", pipeline=True)
    build = sim.run_build("team/app/feature%2Flogin", "FAILURE",
                          changes=[Change("abcdef12", "Log in", "bob", "Bob Stone")])
    assert build.url.endswith("/job/team/job/app/job/feature%252Flogin/1/")
    env = jenkins_env(jenkins_sim, "team/app/feature%2Flogin", 1, BRANCH_NAME="feature/login")
    notify(["--config", str(write_config())], env)
    [message] = devserver.wait_for_messages(1)
    assert message["subject"] == "team/app/feature/login"
    assert message["content"].startswith(f":cross_mark: [team/app/feature/login #1]({build.url}) **failed**")
    assert "`abcdef12` Log in (Bob Stone)" in message["content"]  # the API was asked at the right address


# -- links to failing tests, by the JUnit plugin's rules ------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("test_ok", "test_ok"),
    ("testAdd[1: 2+2=4]", "testAdd_1__2_2_4_"),           # parameterized: not identifier characters
    ("should log in (as admin)", "should_log_in__as_admin_"),
    ("tëst_ünïcode", "tëst_ünïcode"),                      # letters of any script are identifier parts
    ("a$b", "a$b"), ("", ""),
])
def test_case_safe_names(name, expected):
    assert case_safe_name(name) == expected


@pytest.mark.parametrize("name, expected", [
    ("com.example", "com.example"), ("Outer$Inner", "Outer$Inner"), ("a b", "a_b"), ("x/y:z?", "x_y_z_"),
    ("(root)", "(root)"), ("", "(empty)"), ("we[ird]{one}|^`", "we_ird__one____"),
])
def test_package_and_class_safe_names(name, expected):
    assert safe(name) == expected


def test_raw_encode_as_hudson_util():
    assert raw_encode("(root)") == "(root)"
    assert raw_encode("a~b é") == "a%7Eb%20%C3%A9"
    assert raw_encode("x;y,z!$&'*+=@") == "x%3By,z!$&'*+=@"


def test_case_urls():
    base = "https://ci.example.com/job/app/7/"
    assert case_url(base, "pkg.sub.ParserTest", "test_speed") == f"{base}testReport/pkg.sub/ParserTest/test_speed/"
    assert case_url(base, "RootTest", "t") == f"{base}testReport/(root)/RootTest/t/"
    assert case_url(base, "pkg.Outer$Inner", "t") == f"{base}testReport/pkg/Outer$Inner/t/"


def test_a_report_with_odd_names_duplicates_and_parallel_stages():
    base = "https://ci.example.com/job/app/7/"
    case = {"className": "pkg.T", "status": "FAILED"}
    report = {"failCount": 4, "passCount": 0, "skipCount": 0, "suites": [
        {"nodeId": "12", "enclosingBlockNames": ["linux", "Tests"],
         "cases": [{**case, "name": "test[a]"}, {**case, "name": "test(a)"}]},
        {"nodeId": "15", "enclosingBlockNames": ["windows", "Tests"], "cases": [{**case, "name": "test x"}]},
    ]}
    urls = [failure.url for failure in summarize(report, base, 10).failures]
    # "Tests / linux / test[a]" and "... test(a)" have one safe name: the second is uniquified
    assert urls == [f"{base}testReport/pkg/T/Tests___linux___test_a_/",
                    f"{base}testReport/pkg/T/Tests___linux___test_a__2/",
                    f"{base}testReport/pkg/T/Tests___windows___test_x/"]


# The JUnit plugin's own expectations for TestObject.safe and uniquifyName, from
# jenkinsci/junit-plugin src/test/java/hudson/tasks/test/TestObjectTest.java at
# c64aedde777764477e8a1885bcc8ae5d0b2eb29b (MIT; see fixtures/real/SOURCES.md).

def test_safe_as_the_junit_plugins_own_tests_expect():
    for char in " \"#%/:<>?[\\]^`{|}":
        assert safe(f"a{char}b") == "a_b", char
    for char in "\u0000\t\n\u007f":
        assert safe(f"a{char}b") == "a_b"
    legal = "azAZ09-._~!$&'()*+,;=@"
    assert safe(legal) == legal
    assert safe("Gr\u00fc\u00dfe\u30c6\u30b9\u30c8") == "Gr\u00fc\u00dfe\u30c6\u30b9\u30c8"
    assert safe("") == "(empty)" and safe("a|b|c") == "a_b_c" and safe("|||") == "___"
    encoded = safe("Foo#approve! is <called> by approve_on_foo?xyz/\\: 50%")
    assert not set("#?\\/:%<>") & set(encoded)


def test_uniquified_case_names_as_the_junit_plugins_own_tests_expect():
    base = "https://ci.example.com/job/app/7/"
    names = [f"t{int(j ** 0.5)}" for j in range(10)]
    report = {"suites": [{"cases": [{"className": "pkg.T", "name": n, "status": "FAILED"} for n in names]}]}
    shown = [failure.url.rsplit("/", 2)[1] for failure in summarize(report, base, 10).failures]
    assert shown == ["t0", "t1", "t1_2", "t1_3", "t2", "t2_2", "t2_3", "t2_4", "t2_5", "t3"]
