"""`pushdeploy logs`: the failed tasks of an execution, their stopped reason and exit code, and their log lines."""

from __future__ import annotations

from tests.cli.conftest import SERVICE, Served, push, pushdeploy, wait_until_idle


def _deployed(served: Served, tag: str, behavior: str) -> str:
    """Deploy `tag` by hand and follow it to the end; its execution's name."""
    push(served, tag, behavior=behavior)
    wait_until_idle(served)
    ran = pushdeploy("deploy", "-s", SERVICE, "-t", tag, "--follow", "--json", "--endpoint-url", served.url)
    assert ran.exit_code in (0, 1), ran.stderr
    return str(ran.json()["name"])


def test_logs_of_a_crash_show_each_failed_tasks_lines_beside_its_stopped_reason_and_exit_code(served: Served):
    execution = _deployed(served, "logs-crash", "crash")

    ran = pushdeploy("logs", execution, "--json", "--endpoint-url", served.url)

    assert ran.exit_code == 0, ran.stderr
    logs = ran.json()
    assert logs, "a crash that was rolled back has failed tasks"
    for log in logs:
        assert log["task"]["stopped_reason"] == "Essential container in task exited"
        assert {"name": "aiuteur-backend", "exit_code": 1, "reason": None} in log["task"]["containers"]
        assert log["group"] == "/ecs/aiuteur-backend"
        assert log["stream"] == f"ecs/aiuteur-backend/{log['task']['task_id']}"
        # what the container printed, as the awslogs driver sent it, oldest first
        assert log["lines"][0].startswith("aiuteur-backend started from ")
        assert log["lines"][-1] == "fatal: unhandled error; aiuteur-backend exits with code 1"

    text = pushdeploy("logs", execution, "--lines", "1", "--endpoint-url", served.url)
    assert "Essential container in task exited (exit code 1)" in text.stdout
    assert "exits with code 1" in text.stdout
    assert "started from" not in text.stdout  # --lines 1: the last line only


def test_logs_of_a_healthy_deploy_say_no_task_failed(served: Served):
    execution = _deployed(served, "logs-healthy", "healthy")

    ran = pushdeploy("logs", execution, "--endpoint-url", served.url)

    assert ran.exit_code == 0, ran.stderr
    assert "no task of this execution failed" in ran.stdout


def test_logs_of_an_image_that_never_started_say_there_is_no_stream(served: Served):
    execution = _deployed(served, "logs-pull", "pull_error")

    logs = pushdeploy("logs", execution, "--json", "--endpoint-url", served.url).json()

    assert logs and all(log["lines"] == [] for log in logs)
    assert all("never have started" in log["missing"] for log in logs)
    assert all("CannotPullContainerError" in log["task"]["stopped_reason"] for log in logs)


def test_logs_follow_shows_the_failed_tasks_of_a_running_deployment_and_ends_with_it(served: Served):
    push(served, "logs-follow", behavior="crash")
    wait_until_idle(served)
    started = pushdeploy("deploy", "-s", SERVICE, "-t", "logs-follow", "--json", "--endpoint-url", served.url)
    execution = started.json()["name"]

    ran = pushdeploy("logs", execution, "--follow", "--endpoint-url", served.url)

    assert ran.exit_code == 0, ran.stderr
    assert "exits with code 1" in ran.stdout
    status = pushdeploy("history", "--json", "--endpoint-url", served.url).json()
    assert next(s for s in status if s["name"] == execution)["outcome"] == "rolled_back"  # it ended first
    assert ran.stdout.count("Essential container in task exited") == len(
        pushdeploy("logs", execution, "--json", "--endpoint-url", served.url).json()
    )  # each failed task once, however many polls saw it
