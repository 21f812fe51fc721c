"""The CLI's tests run `pushdeploy local serve` in a subprocess and drive the real command line against it.

One server for the whole package (starting one takes a few seconds); stopping it with SIGTERM must end
it cleanly. Each test pushes images under tags of its own, so the tests do not depend on their order.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pushdeploy_cli.main import app

PUSHDEPLOY = str(Path(sys.executable).with_name("pushdeploy"))
WORLD = Path(__file__).with_name("world.json")
SERVICE = "aiuteur-backend-service"
START_SECONDS = 60


@dataclass
class Served:
    url: str
    process: subprocess.Popen[str]

    def health(self) -> dict[str, Any]:
        with urllib.request.urlopen(f"{self.url}/_pushdeploy/health", timeout=10) as answer:
            return dict(json.loads(answer.read()))


@pytest.fixture(scope="package")
def served() -> Iterator[Served]:
    """`pushdeploy local serve --port 0` with the world of world.json (the deployer watches `v*` tags)."""
    process = subprocess.Popen(
        [PUSHDEPLOY, "local", "serve", "--port", "0", "--scenario", str(WORLD)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = _first_line(process, START_SECONDS)
        server = Served(url, process)
        assert server.health()["ok"]
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            stopped = process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
    assert stopped == 0, f"`local serve` ended with {stopped} on SIGTERM"


def _first_line(process: subprocess.Popen[str], timeout: float) -> str:
    """The server's first line on stdout is its URL; wait for it at most `timeout` seconds."""
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not lines or not lines[0].startswith("http://"):
        process.kill()
        raise RuntimeError(f"`pushdeploy local serve` did not start within {timeout} s (exit {process.poll()})")
    return lines[0].strip()


@dataclass
class Ran:
    exit_code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def pushdeploy(*args: str) -> Ran:
    """Run one command through the real argument parser (typer/click), in this process."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    return Ran(result.exit_code, result.stdout, result.stderr)


def push(served: Served, tag: str, behavior: str = "healthy") -> dict[str, Any]:
    """`pushdeploy local push`: an image into ECR and its event to the Trigger; the answer as JSON."""
    ran = pushdeploy("local", "push", "--endpoint-url", served.url, "--tag", tag, "--behavior", behavior, "--json")
    assert ran.exit_code == 0, ran.stderr
    return dict(ran.json())


def wait_until_idle(served: Served, timeout: float = 60) -> None:
    """Until no execution runs (the executions a push started on its own, say)."""
    deadline = time.monotonic() + timeout
    while served.health()["running_executions"]:
        assert time.monotonic() < deadline, "executions still running"
        time.sleep(0.1)
