"""`deployer.approval`: a deployment waits for a person before UpdateService; `approve` and `abort` entries answer
it through `pushdeploy approve` / `abort`, and a timeout aborts it."""

from __future__ import annotations

from pushdeploy_cli.story import read_story
from pushdeploy_local import runner
from pushdeploy_local.scenario import load_scenario, parse_scenario
from tests.conftest import REPO
from tests.scenarios.conftest import run, writes

SERVICE = "aiuteur-cluster/aiuteur-backend-service"


def _recorded(name: str):
    """The report of `scenarios/<name>.json` and the story of its one execution."""
    report, histories = runner.run_recorded(load_scenario(REPO / "scenarios" / f"{name}.json"))
    ((execution, history),) = histories.items()
    return report, read_story(execution, history)


def test_an_approved_deployment_updates_the_service_only_after_the_approval():
    report, story = _recorded("approval-approved")

    (push,) = report.pushes
    assert push.outcome == "deployed", push.reason
    assert push.approval == "approved" and [t.approval for t in push.targets] == ["approved"]
    (answered,) = report.approvals
    assert (answered.at_seconds, answered.decision, answered.services, answered.error) == (
        120,
        "approve",
        [SERVICE],
        None,
    )
    # UpdateService once, and not before the approval at 120 s: the Update step comes after it.
    assert writes(report) == {"ecs:RegisterTaskDefinition": 1, "ecs:UpdateService": 1}
    (target,) = story.targets
    steps = {step.name: step for step in target.steps}
    assert steps["Update"].seconds >= 120 > steps["Register"].seconds
    assert target.approval == "approved" and target.approval_by == "arn:aws:sts::123456789012:user/moto"
    assert report.final.tag == "v2" and report.final.healthy
    # The request for approval says what waits and exactly how to answer it.
    request = report.alerts[0]
    assert request.at_seconds < 120
    assert request.subject == "[pushdeploy] APPROVAL NEEDED: aiuteur-backend-service aiuteur-backend:v2"
    assert f"To approve: pushdeploy approve {target.approval_execution}" in request.message
    assert f"To abort:   pushdeploy abort {target.approval_execution}" in request.message
    assert "aws stepfunctions send-task-success --task-token " in request.message
    assert "unanswered by then, it is aborted and nothing is deployed" in request.message
    assert target.approval_execution is not None and ":execution:" in target.approval_execution
    assert target.approval_execution != story.execution  # the target's own (child) execution
    assert report.iam.denied == []


def test_an_aborted_deployment_deploys_nothing_releases_the_lock_and_says_who_aborted():
    report, story = _recorded("approval-aborted")

    (push,) = report.pushes
    assert push.outcome == "failed" and push.approval == "aborted"
    assert push.reason == "aborted by arn:aws:sts::123456789012:user/moto; nothing was deployed"
    assert push.finished_at_seconds == 120  # ends when aborted
    assert "ecs:UpdateService" not in report.api_calls  # never, before or after the abort
    assert report.final.tag == "v1" and report.final.healthy
    request, alert = report.alerts
    assert "APPROVAL NEEDED" in request.subject
    assert alert.subject == "[pushdeploy] WARNING: aiuteur-backend-service NOT DEPLOYED aiuteur-backend:v2"
    assert "What happened: aborted by arn:aws:sts::123456789012:user/moto; nothing was deployed" in alert.message
    assert "it will wait for approval again" in alert.message
    (target,) = story.targets
    assert target.approval == "aborted" and target.approval_by == "arn:aws:sts::123456789012:user/moto"
    assert [s.name for s in target.steps] == ["Lock", "Register", "Approval", "Approval", "Notify"]


def test_an_approval_nobody_answers_times_out_and_deploys_nothing():
    report, story = _recorded("approval-timed-out")

    (push,) = report.pushes
    assert push.outcome == "failed" and push.approval == "timed_out"
    assert push.reason == "not approved within 600 s: the approval timed out; nothing was deployed"
    assert push.finished_at_seconds == 600  # the Approval state's TimeoutSeconds, from the policy
    assert "ecs:UpdateService" not in report.api_calls
    assert report.final.tag == "v1"
    assert "the approval timed out" in report.alerts[-1].message
    assert story.targets[0].approval == "timed_out" and story.targets[0].approval_by is None


def test_the_lock_is_released_after_an_abort_so_the_next_push_deploys_and_a_second_answer_changes_nothing():
    report = run(
        "approval-abort-then-push",
        [
            {"at_seconds": 0, "tag": "v2"},
            {"at_seconds": 60, "abort": True},
            {"at_seconds": 70, "abort": True},  # nothing waits any more: refused, nothing changes
            {"at_seconds": 100, "tag": "v3"},
            {"at_seconds": 200, "approve": True},
        ],
        deployer={"approval": True, "watch_seconds": 0},
    )

    first, second = report.pushes
    assert (first.outcome, first.approval) == ("failed", "aborted")
    assert (second.outcome, second.approval) == ("deployed", "approved"), second.reason
    aborted, again, approved = report.approvals
    assert aborted.services == [SERVICE] and approved.services == [SERVICE]
    assert again.services == [] and again.error is not None
    # The CLI's own refusal: the execution has ended, and nothing of it waits.
    assert "waits for no approval: it has ended (FAILED)" in again.error
    assert writes(report) == {"ecs:RegisterTaskDefinition": 2, "ecs:UpdateService": 1}
    assert report.final.tag == "v3"


def test_an_answer_when_nothing_waits_is_refused_and_a_deployment_without_approval_never_waits():
    report = run("no-approval", [{"at_seconds": 0, "tag": "v2"}, {"at_seconds": 30, "approve": True}])

    (push,) = report.pushes
    assert push.outcome == "deployed" and push.approval is None
    (answered,) = report.approvals
    assert answered.services == [] and "waits for no approval: it still runs" in (answered.error or "")
    assert not any("APPROVAL NEEDED" in a.subject for a in report.alerts)


def test_only_the_targets_whose_policy_asks_wait_and_one_answer_of_the_push_answers_them_all():
    report = runner.run(
        parse_scenario(
            {
                "name": "approval-two-of-three",
                "deployer": {"approval": True, "watch_seconds": 0},
                "extra_services": [
                    {"name": "aiuteur-jobs-service"},
                    {"name": "aiuteur-worker-service", "deployer": {"approval": False}},
                ],
                "pushes": [{"at_seconds": 0, "tag": "v2"}, {"at_seconds": 300, "approve": True}],
            }
        )
    )

    (push,) = report.pushes
    assert push.outcome == "deployed", push.reason
    approvals = {t.service.split("/")[-1]: t.approval for t in push.targets}
    assert approvals == {
        "aiuteur-backend-service": "approved",
        "aiuteur-jobs-service": "approved",
        "aiuteur-worker-service": None,
    }
    (answered,) = report.approvals
    assert sorted(answered.services) == [SERVICE, "aiuteur-cluster/aiuteur-jobs-service"]
    # The service that asks for no approval was deployed long before the others were approved.
    verdicts = {t.service.split("/")[-1]: t.verdict_at_seconds for t in push.targets}
    assert verdicts["aiuteur-worker-service"] < 300 < verdicts["aiuteur-jobs-service"]
