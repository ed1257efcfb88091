"""The Jenkins simulator answers python-jenkins as a real controller would, over real HTTP."""
from __future__ import annotations

import jenkins
import pytest
import requests
from jenkinsrig import ALICE, READER
from wyzepal_jenkins.api import JenkinsAPI, JenkinsRefused, JenkinsUnavailable, NotFound

from devtools.jenkins_simulator import Change, TestCase, upstream_cause
from devtools.jenkins_simulator.tree import TreeSyntaxError, parse_tree


@pytest.fixture
def server(jenkins_sim):
    sim = jenkins_sim.jenkins
    sim.add_job("app")
    sim.add_job("a/b/c/deep", pipeline=True, parameters={"TARGET": "staging"})
    sim.run_build("app", "FAILURE", changes=[Change("abc", "One\n\nbody", "bob", "Bob", "bob@example.com")],
                  tests=[TestCase("pkg.T", "test_x", "FAILED")])
    return jenkins.Jenkins(jenkins_sim.url, ALICE[0], ALICE[1], timeout=5)


def test_identity_version_and_crumb(server, jenkins_sim):
    assert server.get_whoami()["id"] == "alice"
    assert server.get_version() == "2.452.3"
    crumb = requests.get(jenkins_sim.url + "crumbIssuer/api/json", auth=ALICE, timeout=5).json()
    assert crumb["crumbRequestField"] == "Jenkins-Crumb" and len(crumb["crumb"]) == 32


def test_folders_are_walked_even_beyond_one_request(server):
    names = ["app", "a", "a/b", "a/b/c", "a/b/c/deep"]
    assert [job["fullname"] for job in server.get_all_jobs()] == names
    assert [job["fullname"] for job in server.get_all_jobs(folder_depth_per_request=1)] == names


def test_build_json_shapes(server):
    build = server.get_build_info("app", 1)
    assert build["result"] == "FAILURE" and build["building"] is False and build["number"] == 1
    [item] = build["changeSet"]["items"]
    assert (item["commitId"], item["msg"], item["authorEmail"], item["author"]["fullName"]) == (
        "abc", "One", "bob@example.com", "Bob")
    assert build["culprits"][0]["fullName"] == "Bob"
    assert {"hudson.model.CauseAction", "hudson.tasks.junit.TestResultAction"} <= {
        action.get("_class") for action in build["actions"]}
    report = server.get_build_test_report("app", 1)
    assert report["failCount"] == 1 and report["suites"][0]["cases"][0]["status"] == "FAILED"
    job = server.get_job_info("app")
    assert job["color"] == "red" and job["lastCompletedBuild"] == {
        "_class": "hudson.model.FreeStyleBuild", "number": 1, "url": job["url"] + "1/"}


def test_pipeline_change_sets_and_an_upstream_cause(server, jenkins_sim):
    jenkins_sim.jenkins.run_build("a/b/c/deep", "SUCCESS", cause=upstream_cause("app", 1, "job/app/"),
                                  changes=[Change("def", "Two", "carol", "Carol")])
    build = server.get_build_info("a/b/c/deep", 1)
    assert build["changeSets"][0]["items"][0]["msg"] == "Two"
    assert build["actions"][0]["causes"][0]["shortDescription"] == 'Started by upstream project "app" build number 1'


def test_tree_filters_and_ranges(server):
    info = server.get_info("job/app", "?tree=builds[number,result]{0,1},color")
    assert info == {"_class": "hudson.model.FreeStyleProject", "color": "red",
                    "builds": [{"_class": "hudson.model.FreeStyleBuild", "number": 1, "result": "FAILURE"}]}
    assert [f.name for f in parse_tree("jobs[name,jobs[name]]{0,5},url")] == ["jobs", "url"]
    with pytest.raises(TreeSyntaxError):
        parse_tree("jobs[name")


def test_builds_are_queued_with_and_without_parameters(server, jenkins_sim):
    queue_id = server.build_job("a/b/c/deep", {"TARGET": "prod"})
    [item] = server.get_queue_info()
    assert item["id"] == queue_id and item["task"]["name"] == "deep" and "TARGET=prod" in item["params"]
    assert server.build_job("app") == queue_id + 1
    jenkins_sim.jenkins.start_queued()
    assert server.get_queue_item(queue_id)["executable"]["number"] == 1
    with pytest.raises(jenkins.JenkinsException, match="500"):
        server.build_job("app", {"NOPE": "1"})


def test_auth_errors(jenkins_sim, server):
    with pytest.raises(JenkinsRefused, match="rejected the API token of alice"):
        JenkinsAPI(jenkins_sim.url, "alice", "wrong").whoami()
    with pytest.raises(JenkinsRefused, match="anonymous"):
        JenkinsAPI(jenkins_sim.url).whoami()
    with pytest.raises(JenkinsRefused, match="wyzepal"):
        JenkinsAPI(jenkins_sim.url, *READER).start("app")
    with pytest.raises(NotFound):
        JenkinsAPI(jenkins_sim.url, *READER).build("app", 99)
    bad_crumb = requests.post(jenkins_sim.url + "job/app/build", auth=ALICE, headers={"Jenkins-Crumb": "x"},
                              timeout=5)
    assert bad_crumb.status_code == 403 and "crumb" in bad_crumb.text


def test_down_and_proxy_errors_are_unavailable(jenkins_sim):
    api = JenkinsAPI(jenkins_sim.url, *READER, timeout=2)
    jenkins_sim.fail_next(1, status=503)
    with pytest.raises(JenkinsUnavailable):
        api.jobs()
    jenkins_sim.stop()
    with pytest.raises(JenkinsUnavailable, match="could not be reached"):
        api.jobs()


def test_credentials_in_the_jenkins_address_never_reach_error_text(jenkins_sim):
    secret = READER[1]
    with_credentials = jenkins_sim.url.replace("http://", f"http://{READER[0]}:{secret}@")
    api = JenkinsAPI(with_credentials, timeout=2)
    assert api.whoami()["id"] == READER[0]  # requests takes them as basic auth
    assert secret not in repr(api) and api.shown_url == jenkins_sim.url
    jenkins_sim.fail_next(1, status=503)
    with pytest.raises(JenkinsUnavailable) as unavailable:
        api.build("nope", 1)
    with pytest.raises(NotFound) as missing:
        api.build("nope", 1)
    jenkins_sim.stop()
    with pytest.raises(JenkinsUnavailable) as down:
        api.jobs()
    for error in (unavailable, missing, down):
        assert secret not in str(error.value) and jenkins_sim.url in str(error.value)


def test_stop_stages_inputs_and_the_progressive_log_as_jenkins_serves_them(server, jenkins_sim):
    from devtools.jenkins_simulator.builds import InputStep, Stage

    sim = jenkins_sim.jenkins
    build = sim.start_build("a/b/c/deep")
    build.stages = [Stage("Build"), Stage("Ship", "PAUSED_PENDING_INPUT")]
    build.inputs = [InputStep("Ship", "Ship it?", submitter="bob")]
    base = jenkins_sim.url + "job/a/job/b/job/c/job/deep/1/"
    describe = requests.get(base + "wfapi/describe", auth=ALICE, timeout=5).json()
    assert describe["status"] == "PAUSED_PENDING_INPUT" and [s["name"] for s in describe["stages"]] == ["Build", "Ship"]
    [pending] = requests.get(base + "wfapi/pendingInputActions", auth=ALICE, timeout=5).json()
    assert (pending["id"], pending["message"], pending["abortUrl"]) == ("Ship", "Ship it?",
                                                                        "/job/a/job/b/job/c/job/deep/1/input/Ship/abort")
    crumb = {"Jenkins-Crumb": sim.crumb}
    refused = requests.post(base + "input/Ship/proceedEmpty", auth=ALICE, headers=crumb, timeout=5)
    assert refused.status_code == 403 and "bob" in refused.text  # not in the input's submitter list
    server.stop_build("a/b/c/deep", 1)  # python-jenkins' own call
    assert build.result == "ABORTED" and build.inputs[0].outcome[0] == "abort"
    tail = requests.get(base + "logText/progressiveText?start=4", auth=ALICE, timeout=5)
    assert tail.headers["X-Text-Size"] == str(len(build.log.encode())) and tail.text == build.log[4:]
