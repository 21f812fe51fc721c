"""IAM enforced in the local cloud: the example scenarios are denied nothing and use what the template grants,
and a permission taken out of a role shows as AWS would show it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pushdeploy_local.iam.stack import MANAGED_POLICIES, MANAGED_POLICY_REASON, STACK, reasons, role_policies
from pushdeploy_local.stack.build import physical_name
from tests.conftest import REPO
from tests.scenarios.conftest import run

PUSHDEPLOY = str(Path(sys.executable).with_name("pushdeploy"))
EXAMPLES = sorted((REPO / "scenarios").glob("*.json"))


@pytest.fixture(scope="module")
def example_reports() -> dict[str, dict[str, Any]]:
    """Every example scenario file, run once as people run it: `pushdeploy local run FILE --json`."""
    found = {}
    for path in EXAMPLES:
        result = subprocess.run(
            [PUSHDEPLOY, "local", "run", str(path), "--json"], capture_output=True, text=True, timeout=600, check=False
        )
        assert result.returncode == 0, result.stderr[-2000:]
        found[path.stem] = json.loads(result.stdout)
    return found


def test_a_crash_scenario_is_denied_nothing_with_iam_enforced_and_rolls_back(example_reports):
    report = example_reports["crash-on-start"]

    assert report["iam"]["denied"] == []
    (push,) = report["pushes"]
    assert push["outcome"] == "rolled_back"
    assert report["api_calls"]["ecs:UpdateService"] == 2  # the deploy, then the rollback
    assert report["final"]["tag"] == "v1" and report["final"]["healthy"] is True


def test_no_example_scenario_is_denied_a_call(example_reports):
    assert len(example_reports) >= 4
    assert {name: r["iam"]["denied"] for name, r in example_reports.items() if r["iam"]["denied"]} == {}


def _unused_by_every_example(example_reports: dict[str, dict[str, Any]]) -> dict[str, set[str]]:
    """role -> the granted actions that no example scenario used."""
    roles = role_policies().roles
    return {
        role.name: set.intersection(*(set(r["iam"]["unused"].get(role.name, [])) for r in example_reports.values()))
        for role in roles.values()
    }


def _reasoned(function: str) -> set[str]:
    """The actions the template gives a reason for: a statement Sid (all its actions) or an action."""
    role = role_policies().roles[function]
    given = reasons(function)
    return {a for s in role.statements if s.sid in given for a in s.actions} | {a for a in role.granted if a in given}


def test_every_granted_permission_is_used_by_a_scenario_or_carries_its_reason(example_reports):
    unused = _unused_by_every_example(example_reports)
    unexplained = {
        function: sorted(unused[role.name] - _reasoned(function))
        for function, role in role_policies().roles.items()
        if unused[role.name] - _reasoned(function)
    }
    assert unexplained == {}


def test_a_reason_is_given_only_for_a_permission_no_scenario_uses(example_reports):
    unused = _unused_by_every_example(example_reports)
    stale = {
        function: sorted(_reasoned(function) - unused[role.name])
        for function, role in role_policies().roles.items()
        if _reasoned(function) - unused[role.name]
    }
    assert stale == {}


def test_the_managed_policies_sam_attaches_are_accounted_for():
    attached = {arn for role in role_policies().roles.values() for arn in role.managed}
    assert attached == set(MANAGED_POLICIES)
    # Their actions are the Lambda runtime's and X-Ray's, which no handler call asks for.
    actions = {a for document in MANAGED_POLICIES.values() for s in document["Statement"] for a in s["Action"]}
    assert all(a.startswith(("logs:", "xray:")) for a in actions), MANAGED_POLICY_REASON


def test_the_audit_finding_rollback_could_not_read_its_destination():
    # Given RollbackFunction's role as it was before the fix (no ecs:DescribeTaskDefinition)
    report = run(
        "rollback-role-before-the-fix",
        [{"at_seconds": 0, "tag": "v2", "behavior": {"kind": "crash"}}],
        iam={"remove": [{"function": "RollbackFunction", "action": "ecs:DescribeTaskDefinition"}]},
    )

    # Then every rollback is refused that read, as on AWS, and the rollback never starts
    assert {(d.function, d.action, d.resource) for d in report.iam.denied} == {
        ("RollbackFunction", "ecs:DescribeTaskDefinition", "*")
    }
    (push,) = report.pushes
    assert push.outcome == "rollback_failed"
    assert "AccessDeniedException" in push.reason and "ecs:DescribeTaskDefinition" in push.reason
    assert report.api_calls["ecs:UpdateService"] == 1  # the deploy only


def test_a_denied_call_names_the_role_session_action_and_resource_as_aws_does():
    report = run(
        "update-denied",
        [{"at_seconds": 0, "tag": "v2"}],
        iam={"remove": [{"function": "UpdateFunction", "action": "ecs:UpdateService"}]},
    )

    (alert,) = report.alerts
    role, function = physical_name(STACK, "UpdateFunctionRole"), physical_name(STACK, "UpdateFunction")
    assert (
        f"User: arn:aws:sts::123456789012:assumed-role/{role}/{function} is not authorized to "
        "perform: ecs:UpdateService on resource: "
        "arn:aws:ecs:us-east-1:123456789012:service/aiuteur-cluster/aiuteur-backend-service "
        "because no identity-based policy allows the ecs:UpdateService action"
    ) in alert.message
    assert "AccessDeniedException" in alert.message
