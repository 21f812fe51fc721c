"""`faults`: a step's handler crashes before or after its work; the state machine's Retry and Catch decide,
and the report shows what happened."""

from __future__ import annotations

from tests.scenarios.conftest import example, run


def test_a_register_that_dies_after_registering_leaves_the_service_as_it_was():
    report = example("fault-after-register")

    (push,) = report.pushes
    assert push.outcome == "failed"
    assert push.reason == "InjectedCrash: RegisterFunction crashed after doing its work"
    (target,) = push.targets
    assert target.evidence is None  # no rollout, so no Check decided anything
    # The task definition was registered, then the step died: nothing was rolled out.
    assert report.api_calls["ecs:RegisterTaskDefinition"] == 1
    assert "ecs:UpdateService" not in report.api_calls
    assert report.final.tag == "v1" and report.final.healthy
    (alert,) = report.alerts
    assert "NOT DEPLOYED" in alert.subject and "InjectedCrash" in alert.message


def test_a_check_that_dies_once_before_its_probe_is_retried_and_the_deploy_goes_on():
    report = run("check-dies-once", [{"at_seconds": 0, "tag": "v2"}], faults=[{"step": "Check", "when": "before"}])

    (push,) = report.pushes
    assert push.outcome == "deployed", push.reason
    assert report.final.tag == "v2" and report.alerts == []


def test_an_update_that_dies_after_updating_the_service_is_rolled_back():
    faults = [{"step": "Update", "when": "after", "times": 1}]
    report = run("update-dies-after", [{"at_seconds": 0, "tag": "v2"}], faults=faults)

    (push,) = report.pushes
    assert push.outcome == "rolled_back"
    assert "InjectedCrash: UpdateFunction crashed after doing its work" in push.reason
    assert report.api_calls["ecs:UpdateService"] == 2  # the update that died, then the rollback
    assert report.final.tag == "v1" and report.final.healthy
