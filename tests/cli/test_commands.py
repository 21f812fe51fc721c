"""deploy, rollback, status, history and explain through the real command line, against `local serve`."""

from __future__ import annotations

import json
import shlex
import xml.etree.ElementTree as ET

import boto3
import pytest

from pushdeploy_cli.connection import Where
from tests.cli.conftest import SERVICE, Served, push, pushdeploy, wait_until_idle

SVG = "{http://www.w3.org/2000/svg}"


def test_deploy_follow_of_a_healthy_image_exits_0_and_the_service_runs_it(served: Served):
    # Given an image whose tag the deployer does not watch: its push is ignored, nothing deployed
    pushed = push(served, "rc-healthy")
    assert pushed["outcome"] == "started"
    wait_until_idle(served)

    # When an operator deploys it by hand and follows it
    ran = pushdeploy("deploy", "--service", SERVICE, "--tag", "rc-healthy", "--follow", "--endpoint-url", served.url)

    # Then it ends deployed, exit 0, and the service runs that digest
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert "deployed after" in ran.stdout
    assert "rolling out" in ran.stdout
    status = pushdeploy("status", "--service", SERVICE, "--json", "--endpoint-url", served.url).json()
    assert status[0]["digest"] == pushed["digest"]
    assert status[0]["tags"] == ["rc-healthy"]
    assert status[0]["running"] == status[0]["desired"] == 2
    assert status[0]["last"]["outcome"] == "deployed"


def test_deploy_follow_of_a_crashing_image_rolls_back_and_exits_1(served: Served):
    push(served, "rc-crash", behavior="crash")
    wait_until_idle(served)
    before = pushdeploy("status", "--json", "--endpoint-url", served.url).json()[0]["task_definition"]

    ran = pushdeploy("deploy", "-s", SERVICE, "-t", "rc-crash", "--follow", "--endpoint-url", served.url)

    assert ran.exit_code == 1, ran.stdout + ran.stderr
    assert "rolled_back" in ran.stdout
    assert "Essential container in task exited (exit code 1)" in ran.stdout
    assert "rolling back" in ran.stdout
    after = pushdeploy("status", "--json", "--endpoint-url", served.url).json()[0]
    assert after["task_definition"] == before  # exactly what ran before
    assert after["last"]["outcome"] == "rolled_back"


def test_deploy_of_a_tag_deployed_before_deploys_it_again_as_a_new_execution(served: Served):
    # Given two watched tags pushed one after the other: the service runs the second
    first = push(served, "v-again-1")
    wait_until_idle(served)
    push(served, "v-again-2")
    wait_until_idle(served)

    # When the operator deploys the first tag again
    ran = pushdeploy("deploy", "-s", SERVICE, "-t", "v-again-1", "--follow", "--json", "--endpoint-url", served.url)

    # Then it is a new execution, not the push's replayed, and the service runs the first image again
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert ran.json()["name"] != first["execution"].rsplit(":", 1)[-1]
    assert ran.json()["outcome"] == "deployed"
    now = pushdeploy("status", "--service", SERVICE, "--json", "--endpoint-url", served.url).json()[0]
    assert now["digest"] == first["digest"]
    assert now["last"]["name"] == ran.json()["name"]


def test_status_shows_what_a_rollback_without_to_returns_to(served: Served):
    # Given two watched tags deployed one after the other (each verified healthy)
    push(served, "v-status-1")
    wait_until_idle(served)
    first = pushdeploy("status", "--service", SERVICE, "--json", "--endpoint-url", served.url).json()[0]
    push(served, "v-status-2")
    wait_until_idle(served)

    # When the operator asks for the status
    ran = pushdeploy("status", "--service", SERVICE, "--json", "--endpoint-url", served.url)
    table = pushdeploy("status", "--service", SERVICE, "--endpoint-url", served.url)

    # Then a rollback would return to the first one, and the table says so
    now = ran.json()[0]
    assert now["task_definition"] != first["task_definition"]
    assert now["rollback_to"] == first["task_definition"]
    assert "rollback to" in table.stdout and first["task_definition"].rsplit("/", 1)[-1] in table.stdout


def test_the_explain_command_follow_suggests_carries_the_connection_options_and_runs(served: Served):
    push(served, "rc-hint")
    wait_until_idle(served)

    ran = pushdeploy("deploy", "-s", SERVICE, "-t", "rc-hint", "--follow", "--endpoint-url", served.url)

    assert ran.exit_code == 0, ran.stdout + ran.stderr
    (hint,) = [line.strip() for line in ran.stdout.splitlines() if line.strip().startswith("pushdeploy explain ")]
    assert hint.endswith(f" --endpoint-url {served.url}")
    explained = pushdeploy(*shlex.split(hint)[1:])
    assert explained.exit_code == 0, explained.stderr
    assert "deployed" in explained.stdout


def test_the_suggested_command_says_local_when_the_user_did():
    assert Where(local=True).command("explain", "x") == "pushdeploy explain x --local"
    assert Where(region="eu-west-1", stack="my stack").command("explain", "x") == (
        "pushdeploy explain x --region eu-west-1 --stack 'my stack'"
    )


def test_history_lists_executions_newest_first_with_outcome_digest_duration_and_reason(served: Served):
    for tag in ("rc-history-b", "rc-history-a"):  # two of its own: the test does not rely on the others' runs
        push(served, tag)
        wait_until_idle(served)
        pushdeploy("deploy", "-s", SERVICE, "-t", tag, "--follow", "--endpoint-url", served.url)

    entries = pushdeploy("history", "--service", SERVICE, "--limit", "2", "--json", "--endpoint-url", served.url).json()

    assert len(entries) == 2
    newest = entries[0]
    assert newest["outcome"] == "deployed"
    assert newest["services"] == [f"aiuteur-cluster/{SERVICE}"]
    assert newest["image"].startswith("aiuteur-backend:rc-history-a@sha256:")
    assert newest["seconds"] > 30  # virtual seconds: the rollout took the time ECS takes
    assert newest["started_at"] >= entries[1]["started_at"]
    table = pushdeploy("history", "--limit", "3", "--endpoint-url", served.url)
    assert table.exit_code == 0 and newest["name"][:20] in table.stdout


def test_explain_tells_the_steps_probes_and_evidence_and_draws_both_revisions(served: Served, tmp_path):
    push(served, "rc-explain", behavior="unhealthy")
    wait_until_idle(served)
    deployed = pushdeploy("deploy", "-s", SERVICE, "-t", "rc-explain", "--json", "--endpoint-url", served.url)
    name = deployed.json()["name"]
    wait_until_idle(served)
    svg, html = tmp_path / "rollout.svg", tmp_path / "rollout.html"

    ran = pushdeploy("explain", name, "--svg", str(svg), "--html", str(html), "--endpoint-url", served.url)

    assert ran.exit_code == 0, ran.stderr
    assert "CheckRollout" in ran.stdout and "FAILED" in ran.stdout
    # the evidence: the tasks ECS stopped, and its event saying why
    assert "stopped task" in ran.stdout and "Task failed ELB health checks" in ran.stdout
    assert "is unhealthy in (target-group" in ran.stdout
    story = pushdeploy("explain", name, "--json", "--endpoint-url", served.url).json()
    assert story["outcome"] == "rolled_back"
    (target,) = story["targets"]
    verdicts = [p["verdict"] for p in target["probes"]]
    assert verdicts[-1] == "HEALTHY" and "FAILED" in verdicts

    # The picture: a valid SVG with a lane per revision, every probe, and the verdict
    root = ET.parse(svg).getroot()
    assert root.tag == f"{SVG}svg"
    lanes = {
        g.get("data-role"): g.get("data-task-definition") for g in root.iter(f"{SVG}g") if g.get("class") == "lane"
    }
    assert lanes["before"] == target["before"] and lanes["new"] == target["wanted"]
    probes = [c for c in root.iter(f"{SVG}circle") if c.get("class") == "probe"]
    assert [c.get("data-verdict") for c in probes] == verdicts
    new_lane = next(g for g in root.iter(f"{SVG}g") if g.get("data-role") == "new")
    states = {(r.get("class") or "").removeprefix("task ") for r in new_lane.iter(f"{SVG}rect") if r.get("class")}
    # the new tasks started (before the first probe: the rollout is probed when its events or the fallback probe
    # say so, not while its tasks start), and their targets never passed
    assert {"starting", "initial"} <= states
    stopped = [t for t in new_lane.iter(f"{SVG}text") if t.get("class") == "stopped"]
    assert len(stopped) == len(target["probes"][len(verdicts) - verdicts[::-1].index("FAILED") - 1]["stopped_tasks"])
    verdict = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "verdict")
    assert verdict.text is not None and verdict.text.startswith("ROLLED BACK")
    assert html.read_text().startswith("<!doctype html>") and "<svg" in html.read_text()


def test_rollback_follow_puts_back_the_revision_that_ran_before(served: Served):
    # Given a service that runs revision N, then a deployment of a healthy image (revision N + k)
    wait_until_idle(served)
    before = pushdeploy("status", "--json", "--endpoint-url", served.url).json()[0]["task_definition"]
    push(served, "rc-rollback")
    wait_until_idle(served)
    assert (
        pushdeploy("deploy", "-s", SERVICE, "-t", "rc-rollback", "--follow", "--endpoint-url", served.url).exit_code
        == 0
    )

    # When the operator rolls back to revision N
    ran = pushdeploy(
        "rollback", "--service", SERVICE, "--to", before.rsplit(":", 1)[1], "--follow", "--endpoint-url", served.url
    )

    # Then the rollback is proven healthy like a deployment, and the service runs N again
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert "reverted" in ran.stdout
    now = pushdeploy("status", "--json", "--endpoint-url", served.url).json()[0]
    assert now["task_definition"] == before
    assert now["last"]["outcome"] == "reverted"


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["deploy", "--service", SERVICE], "--tag"),
        (["deploy", "--service", SERVICE, "--tag", "v1", "--digest", "sha256:" + "0" * 64], "--tag"),
        (["deploy", "--service", "no such service", "--tag", "v1"], "--service"),
        (["deploy", "--service", SERVICE, "--tag", "not a tag!"], "--tag"),
        (["deploy", "--service", SERVICE, "--digest", "sha256:abc"], "--digest"),
        (["rollback", "--service", SERVICE, "--to", "yesterday"], "--to"),
        (["history", "--limit", "0"], "--limit"),
        (["deploy", "--tag", "v1"], "--service"),
        (["status", "--endpoint-url", "localhost:5000"], "--endpoint-url"),
        (["explain", "x", "--state-machine", "pushdeploy-deploy"], "--state-machine"),
        (["local", "push", "--tag", "v9", "--behavior", "explode"], "--behavior"),
        (["local", "serve", "--port", "70000"], "--port"),
    ],
)
def test_bad_arguments_exit_2_naming_the_argument(args: list[str], named: str):
    ran = pushdeploy(*args)

    assert ran.exit_code == 2, ran.stdout + ran.stderr
    assert named in ran.stderr


@pytest.mark.parametrize(
    ("args", "named", "says"),
    [
        (["deploy", "--service", "aiuteur-jobs-service", "--tag", "v1"], "--service", "no target names service"),
        (["deploy", "--service", SERVICE, "--tag", "v404"], "--tag", "has no image v404"),
        (["deploy", "--service", SERVICE, "--cluster", "other-cluster", "--tag", "v1"], "--service", "other-cluster"),
        (["explain", "no-such-execution"], "EXECUTION", "no execution 'no-such-execution'"),
        (["status", "--service", "aiuteur-jobs-service"], "--service", "no target names service"),
        (["rollback", "--service", SERVICE, "--to", "99"], "--to", "aiuteur-backend has no task definition '99'"),
        (["rollback", "--service", SERVICE, "--to", "aiuteur-other:1"], "--to", "no task definition 'aiuteur-other:1'"),
    ],
)
def test_input_the_deployer_does_not_know_exits_2_naming_the_argument(
    served: Served, args: list[str], named: str, says: str
):
    ran = pushdeploy(*args, "--endpoint-url", served.url)

    assert ran.exit_code == 2, ran.stdout + ran.stderr
    assert named in ran.stderr and says in ran.stderr


def test_an_endpoint_that_does_not_answer_is_one_clear_error_and_exit_1():
    ran = pushdeploy("status", "--endpoint-url", "http://127.0.0.1:9")

    assert ran.exit_code == 1
    assert "cannot reach" in ran.stderr and "local serve" in ran.stderr


def test_on_aws_the_state_machine_is_found_through_the_stack_outputs(served: Served):
    # Given a CloudFormation stack whose outputs name the deployer (as template.yaml's do)
    health = served.health()
    cloudformation = boto3.client(
        "cloudformation",
        endpoint_url=served.url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    template = {
        "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
        "Outputs": {
            "StateMachineArn": {"Value": health["state_machine"]},
            "TargetsParameterName": {"Value": "/pushdeploy/targets"},
        },
    }
    cloudformation.create_stack(StackName="pushdeploy-cli-test", TemplateBody=json.dumps(template))

    # When a command names the stack instead of the state machine
    ran = pushdeploy("status", "--stack", "pushdeploy-cli-test", "--json", "--endpoint-url", served.url)
    missing = pushdeploy("status", "--stack", "no-such-stack", "--endpoint-url", served.url)

    # Then it finds the state machine and the targets there; a stack that does not exist is bad input
    assert ran.exit_code == 0, ran.stderr
    assert [t["service"] for t in ran.json()] == [f"aiuteur-cluster/{SERVICE}"]
    assert missing.exit_code == 2 and "--stack" in missing.stderr and "no-such-stack" in missing.stderr
