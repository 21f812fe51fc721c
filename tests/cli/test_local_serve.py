"""`pushdeploy local serve` is an AWS endpoint: the AWS CLI runs a deployment on it, and time moves on its own."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pushdeploy_local.server import LocalServer
from pushdeploy_local.stack.build import physical_name
from tests.cli.conftest import SERVICE, Served, push, pushdeploy, wait_until_idle

AWS = str(Path(sys.executable).with_name("aws"))  # awscli, installed from PyPI by the dev extra


def aws(served: Served, *args: str) -> dict:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    ran = subprocess.run(
        [AWS, "--endpoint-url", served.url, "--output", "json", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert ran.returncode == 0, ran.stderr
    return json.loads(ran.stdout) if ran.stdout.strip() else {}


def test_the_aws_cli_starts_an_execution_that_runs_to_succeeded(served: Served):
    # Given an image in ECR that nothing deployed yet (its tag is not watched)
    push(served, "rc-aws-cli")
    wait_until_idle(served)
    (machine,) = aws(served, "stepfunctions", "list-state-machines")["stateMachines"]

    # When the AWS CLI starts an execution with a console input
    started = aws(
        served,
        "stepfunctions",
        "start-execution",
        "--state-machine-arn",
        machine["stateMachineArn"],
        "--name",
        "by-the-aws-cli",
        "--input",
        json.dumps({"service": SERVICE, "tag": "rc-aws-cli"}),
    )

    # Then the execution runs through the real handlers and the ECS model, on virtual time, to SUCCEEDED
    wait_until_idle(served)
    described = aws(served, "stepfunctions", "describe-execution", "--execution-arn", started["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    # and the target's result is its child execution's output (the Deploy Map writes no result into the parent)
    (run,) = aws(served, "stepfunctions", "list-map-runs", "--execution-arn", started["executionArn"])["mapRuns"]
    (child,) = aws(served, "stepfunctions", "list-executions", "--map-run-arn", run["mapRunArn"])["executions"]
    output = aws(served, "stepfunctions", "describe-execution", "--execution-arn", child["executionArn"])["output"]
    result = json.loads(output)
    assert result["outcome"] == "deployed"
    services = aws(served, "ecs", "describe-services", "--cluster", "aiuteur-cluster", "--services", SERVICE)
    assert services["services"][0]["taskDefinition"] == result["runs_now"]


def test_the_readmes_aws_cli_example_runs_as_written_without_configured_credentials(served: Served):
    # Given the README's line, pointed at this server's port, and no AWS configuration at all
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    (line,) = [line for line in readme.splitlines() if " aws --endpoint-url http://127.0.0.1:5000" in line]
    line = line.replace("http://127.0.0.1:5000", served.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env |= {"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "HOME": os.devnull}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"

    # When it runs in a shell
    ran = subprocess.run(line, shell=True, capture_output=True, text=True, timeout=60, env=env, check=False)

    # Then it lists the deployer's state machine
    assert ran.returncode == 0, ran.stderr
    machine = physical_name("pushdeploy", "DeployStateMachine", 80)  # CloudFormation's name: the template gives none
    assert [m["name"] for m in json.loads(ran.stdout)["stateMachines"]] == [machine]


def test_virtual_time_jumps_while_an_execution_runs_and_follows_the_wall_clock_when_idle(served: Served):
    wait_until_idle(served)
    before = served.health()["virtual_seconds"]
    began = time.monotonic()

    ran = pushdeploy("local", "push", "--endpoint-url", served.url, "--tag", "v-time", "--follow")

    assert ran.exit_code == 0, ran.stdout + ran.stderr
    during = served.health()["virtual_seconds"] - before
    real = time.monotonic() - began
    assert during > 60 > real  # a rollout of more than a minute, in less than a minute

    idle_from, idle_began = served.health()["virtual_seconds"], time.monotonic()
    time.sleep(0.5)
    idle = served.health()["virtual_seconds"] - idle_from
    assert 0 < idle <= (time.monotonic() - idle_began) + 0.5  # no execution: time goes at the wall's pace


def test_local_push_reports_the_trigger_and_an_invalid_tag_exits_2(served: Served):
    pushed = push(served, "v-pushed")
    assert pushed["outcome"] == "started" and pushed["digest"].startswith("sha256:")
    # named for the image's digest and the push event's id (trigger.execution_name)
    assert re.search(rf"-{pushed['digest'][7:23]}-[0-9a-f]{{12}}$", pushed["execution"])

    ran = pushdeploy("local", "push", "--endpoint-url", served.url, "--tag", "-bad")

    assert ran.exit_code == 2 and "--tag" in ran.stderr


def test_local_push_of_a_repository_name_of_the_wrong_form_says_what_is_allowed_in_words(served: Served):
    ran = pushdeploy("local", "push", "--endpoint-url", served.url, "--tag", "v1", "--repository", "Not/A/Repo")

    assert ran.exit_code == 2, ran.stdout + ran.stderr
    assert "should be an ECR repository name" in ran.stderr
    assert "pattern" not in ran.stderr and "[a-z0-9]" not in ran.stderr


def test_a_second_local_serve_on_a_busy_port_fails_at_once_naming_the_port(
    served: Served, monkeypatch: pytest.MonkeyPatch
):
    # "At once": before any local cloud is built (building one is what took seconds).
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("a local cloud was built for a port that is busy")

    monkeypatch.setattr(LocalServer, "__init__", never)
    port = served.url.rsplit(":", 1)[1]

    ran = pushdeploy("local", "serve", "--port", port)

    assert ran.exit_code == 2, ran.stdout + ran.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in ran.stderr and "--port" in ran.stderr


COMMANDS = [
    ["deploy"],
    ["rollback"],
    ["status"],
    ["history"],
    ["explain"],
    ["local", "run"],
    ["local", "demo"],
    ["local", "serve"],
    ["local", "push"],
]


@pytest.mark.parametrize("flag", ["--help", "-h"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_the_help_of_every_command_says_what_it_does_with_an_example(command: list[str], flag: str):
    ran = pushdeploy(*command, flag)

    assert ran.exit_code == 0
    assert "Example: pushdeploy " + " ".join(command) in " ".join(ran.stdout.split())


def test_version_prints_the_package_version():
    ran = pushdeploy("--version")

    assert ran.exit_code == 0
    assert ran.stdout == f"pushdeploy {importlib.metadata.version('pushdeploy')}\n"


def test_shell_completion_is_installable_and_completes_the_commands():
    pushdeploy_script = str(Path(sys.executable).with_name("pushdeploy"))
    shown = subprocess.run(
        [pushdeploy_script, "--show-completion", "bash"], capture_output=True, text=True, timeout=60, check=False
    )
    completed = subprocess.run(  # what bash asks when one presses Tab after `pushdeploy dep`
        [pushdeploy_script],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "_PUSHDEPLOY_COMPLETE": "complete_bash", "COMP_WORDS": "pushdeploy dep", "COMP_CWORD": "1"},
    )

    assert "--install-completion" in pushdeploy("--help").stdout
    assert shown.returncode == 0 and "complete -o default -F _pushdeploy_completion pushdeploy" in shown.stdout
    assert completed.stdout.split() == ["deploy"]


def test_local_demo_draws_one_valid_svg_per_scenario_and_prints_no_traces_or_metrics(tmp_path):
    # In a process of its own: the demo quiets the handlers' loggers, which a process imports once
    ran = subprocess.run(
        [str(Path(sys.executable).with_name("pushdeploy")), "local", "demo", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )

    assert ran.returncode == 0, ran.stderr
    # three of the four executions fail (rollbacks): moto's traces of them and the metric lines stay out
    for noise in ("Exception=", "Traceback", '{"_aws"'):
        assert noise not in ran.stdout and noise not in ran.stderr
    drawn = sorted(tmp_path.glob("*.svg"))
    assert [p.stem for p in drawn] == ["alb-unhealthy", "crash-on-start", "healthy-deploy", "late-crash"]
    for path in drawn:
        assert f"picture: {path}" in ran.stdout
        root = ET.parse(path).getroot()
        outcome = next(t for t in root.iter() if t.get("class") == "verdict").get("data-outcome")
        assert outcome == ("deployed" if path.stem == "healthy-deploy" else "rolled_back")
