"""`pushdeploy local run` as people run it: a scenario file in, one JSON report on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO

PUSHDEPLOY = str(Path(sys.executable).with_name("pushdeploy"))


def pushdeploy(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PUSHDEPLOY, *args], capture_output=True, text=True, timeout=300, check=False)


def test_local_run_prints_the_report_of_scenarios_md_on_stdout_and_logs_on_stderr():
    result = pushdeploy("local", "run", str(REPO / "scenarios" / "crash-on-start.json"), "--json")

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert set(report) >= {"scenario", "pushes", "final", "alerts", "cost", "api_calls"}
    (push,) = report["pushes"]
    assert set(push) >= {
        "tag",
        "digest",
        "outcome",
        "executions",
        "started_at_seconds",
        "verdict_at_seconds",
        "finished_at_seconds",
        "reason",
    }
    assert push["outcome"] == "rolled_back" and push["executions"] == 1
    assert set(report["final"]) >= {"tag", "image", "task_definition", "running", "healthy"}
    assert set(report["cost"]) == {"state_transitions", "lambda_invocations", "lambda_gb_seconds", "usd"}
    assert report["api_calls"]["ecs:UpdateService"] == 2
    assert '"level":"INFO"' in result.stderr  # the handlers' logs


def test_an_invalid_scenario_exits_2_naming_the_bad_field(tmp_path):
    scenario = tmp_path / "bad.json"
    scenario.write_text(json.dumps({"pushes": [{"tag": "v2", "behavior": {"kind": "explode"}}]}))

    result = pushdeploy("local", "run", str(scenario), "--json")

    assert result.returncode == 2
    assert "pushes.0.behavior.kind" in result.stderr
    assert result.stdout == ""


def test_local_run_leaves_out_moto_traces_and_metric_lines_unless_verbose():
    crash = str(REPO / "scenarios" / "crash-on-start.json")

    quiet = pushdeploy("local", "run", crash, "--json")
    verbose = pushdeploy("local", "run", crash, "--json", "--verbose")

    # The execution fails (a rollback): moto traces it at ERROR, and the Record step prints EMF metrics
    assert quiet.returncode == verbose.returncode == 0, quiet.stderr
    assert "FailureEventException" in verbose.stderr and '{"_aws"' in verbose.stderr
    assert "FailureEventException" not in quiet.stderr and '{"_aws"' not in quiet.stderr
    assert '"level":"INFO"' in quiet.stderr  # the handlers' own logs stay
    quiet_report, verbose_report = json.loads(quiet.stdout), json.loads(verbose.stdout)
    assert quiet_report["pushes"] == verbose_report["pushes"] and quiet_report["final"] == verbose_report["final"]
