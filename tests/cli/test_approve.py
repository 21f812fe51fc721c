"""`pushdeploy approve | abort EXECUTION` through the real command line, against a `local serve` whose deployer
asks for approval. Virtual time runs at one second a second (`--speed 1`): unbounded, it would jump to the
approval's timeout as soon as nothing else is pending, before anyone could answer."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import (
    PUSHDEPLOY,
    SERVICE,
    START_SECONDS,
    Ran,
    Served,
    _first_line,
    push,
    pushdeploy,
    wait_until_idle,
)


@pytest.fixture(scope="module")
def approving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    world = tmp_path_factory.mktemp("approve") / "world.json"
    world.write_text(json.dumps({"name": "cli-approve", "deployer": {"tags": ["v*"], "approval": True}, "pushes": []}))
    process = subprocess.Popen(
        [PUSHDEPLOY, "local", "serve", "--port", "0", "--scenario", str(world), "--speed", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        yield Served(_first_line(process, START_SECONDS), process)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def _said(ran: Ran) -> str:
    """The error as one line, out of rich's box."""
    return " ".join(ran.stderr.replace("│", " ").split())


def _waiting(served: Served, execution: str, timeout: float = 30) -> str:
    """The execution that waits for approval in the push's `execution`, as `explain --json` names it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # The story knows a target once its child execution has started (its input carries the target's item)
        targets = pushdeploy("explain", execution, "--json", "--endpoint-url", served.url).json()["targets"]
        assert len(targets) <= 1, targets
        if targets and targets[0]["approval"] == "waiting":
            return str(targets[0]["approval_execution"])
        time.sleep(0.2)
    raise AssertionError(f"{execution} never waited for approval")


def test_abort_ends_the_waiting_deployment_once_and_names_what_waits_for_nothing(approving: Served, tmp_path: Path):
    # Given a push whose deployment waits for approval
    execution = push(approving, "v2")["execution"]
    waiting = _waiting(approving, execution)
    assert waiting != execution and ":execution:" in waiting  # the service's own (child) execution

    # An execution that does not exist is named, and nothing changes
    unknown = pushdeploy("approve", "no-such-execution", "--endpoint-url", approving.url)
    assert unknown.exit_code == 2
    assert "Invalid value for EXECUTION: no execution 'no-such-execution'" in _said(unknown), unknown.stderr

    # When it is aborted by the service's own execution
    ran = pushdeploy("abort", waiting, "--json", "--endpoint-url", approving.url)

    # Then that deployment was answered, and nothing was deployed
    assert ran.exit_code == 0, ran.stdout + ran.stderr
    assert ran.json() == [
        {
            "service": f"aiuteur-cluster/{SERVICE}",
            "execution": waiting,
            "done": True,
            "reason": "aborted: nothing is deployed",
        }
    ]
    wait_until_idle(approving)
    again = pushdeploy("approve", execution, "--endpoint-url", approving.url)
    assert again.exit_code == 2
    assert "waits for no approval: it has ended (FAILED), and no deployment of it waits" in _said(again), again.stderr
    story = pushdeploy("explain", execution, "--json", "--endpoint-url", approving.url).json()
    (target,) = story["targets"]
    assert (target["approval"], target["result"]["outcome"]) == ("aborted", "failed")
    assert target["result"]["reason"].startswith("aborted by arn:aws:")
    assert [s["name"] for s in target["steps"]] == ["Lock", "Register", "Approval", "Approval", "Notify"]
    text = pushdeploy("explain", execution, "--svg", str(tmp_path / "a.svg"), "--endpoint-url", approving.url)
    assert "waiting for approval (at most 3600 s): pushdeploy approve" in " ".join(text.stdout.split())
    assert f"approve{waiting}(orabort)" in "".join(text.stdout.split())  # named in full, however wrapped
    assert 'data-approval="aborted"' in (tmp_path / "a.svg").read_text()
