"""One image, several services: the API behind the ALB, a job executor, a worker without a load balancer."""

from __future__ import annotations

from tests.scenarios.conftest import run

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
