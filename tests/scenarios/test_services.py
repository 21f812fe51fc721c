"""One image, several services: the API behind the ALB, a job executor, a worker without a load balancer."""

from __future__ import annotations

from tests.scenarios.conftest import example, run

WORKER = {"name": "aiuteur-worker-service", "load_balanced": False, "desired_count": 2}
JOBS = {"name": "aiuteur-jobs-service", "desired_count": 1}


def test_a_worker_without_a_load_balancer_is_judged_on_its_tasks():
    report = run("worker", [{"at_seconds": 0, "tag": "v2"}], service={"load_balanced": False})

    (push,) = report.pushes
    assert push.outcome == "deployed", push.reason
    assert report.final.tag == "v2" and report.final.healthy
    assert "elasticloadbalancing:DescribeTargetHealth" not in report.api_calls


def test_a_crashing_worker_is_rolled_back():
    crash = {"kind": "crash"}
    report = run("worker-crash", [{"at_seconds": 0, "tag": "v2", "behavior": crash}], service={"load_balanced": False})

    assert report.pushes[0].outcome == "rolled_back"
    assert report.final.tag == "v1" and report.final.healthy


def test_one_push_feeds_every_service_that_runs_the_image():
    report = run("two-services", [{"at_seconds": 0, "tag": "v2"}], extra_services=[JOBS, WORKER])

    (push,) = report.pushes
    assert push.executions == 1
    assert sorted(t.service.split("/")[1] for t in push.targets) == [
        "aiuteur-backend-service",
        "aiuteur-jobs-service",
        "aiuteur-worker-service",
    ]
    assert {t.outcome for t in push.targets} == {"deployed"}
    assert {s.tag for s in report.services} == {"v2"}
    assert all(s.healthy for s in report.services)


def test_a_bad_image_is_rolled_back_on_every_service_with_one_alert_each():
    report = run(
        "two-services-crash", [{"at_seconds": 0, "tag": "v2", "behavior": {"kind": "crash"}}], extra_services=[WORKER]
    )

    (push,) = report.pushes
    assert [t.outcome for t in push.targets] == ["rolled_back", "rolled_back"]
    assert {s.tag for s in report.services} == {"v1"}
    assert len(report.alerts) == 2
    assert {a.subject.split()[2] for a in report.alerts} == {"aiuteur-backend-service", "aiuteur-worker-service"}


def test_each_service_takes_its_own_deployer_settings_and_its_own_behaviour_of_the_image():
    report = example("per-service-behaviour")

    first, jobs_only = report.pushes
    by_service = {t.service.split("/")[1]: t for t in first.targets}
    # The API takes the push's behaviour and the top-level deployer (watched 120 s after its verdict) ...
    api = by_service["aiuteur-backend-service"]
    assert api.outcome == "deployed" and api.evidence is not None and api.evidence.verdict == "HEALTHY"
    assert api.evidence.at_seconds == api.verdict_at_seconds + 120
    # ... the job executor its own behaviour (its tasks crash) and its own settings (no watch).
    jobs = by_service["aiuteur-jobs-service"]
    assert jobs.outcome == "rolled_back" and jobs.reason == "Essential container in task exited (exit code 3)"
    assert jobs.evidence is not None
    (stopped,) = {t.task_id: t for t in jobs.evidence.stopped_tasks}.values()
    assert [c.exit_code for c in stopped.containers] == [3]
    # Its own tags: a jobs-* push feeds it alone.
    assert [t.service.split("/")[1] for t in jobs_only.targets] == ["aiuteur-jobs-service"]
    assert jobs_only.outcome == "deployed" and jobs_only.finished_at_seconds == jobs_only.verdict_at_seconds
    assert {s.service: s.tag for s in report.services} == {
        "aiuteur-backend-service": "v2",
        "aiuteur-jobs-service": "jobs-3",
    }


def test_a_target_naming_a_container_its_task_definition_lacks_fails_before_registering_anything():
    report = example("stale-target")

    (push,) = report.pushes
    by_service = {t.service.split("/")[1]: t for t in push.targets}
    stale = by_service["aiuteur-worker-service"]
    assert stale.outcome == "failed" and stale.evidence is None
    assert stale.reason == (
        "InvalidRequest: container 'worker' is not in task definition "
        "arn:aws:ecs:us-east-1:123456789012:task-definition/aiuteur-worker:1 (it has: aiuteur-backend)"
    )
    assert by_service["aiuteur-backend-service"].outcome == "deployed"
    assert report.api_calls["ecs:RegisterTaskDefinition"] == 1  # the API's only
    assert {s.service: s.tag for s in report.services}["aiuteur-worker-service"] == "v1"
    (alert,) = report.alerts
    assert "aiuteur-worker-service NOT DEPLOYED" in alert.subject and "(it has: aiuteur-backend)" in alert.message
