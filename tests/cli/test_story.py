"""An execution that fed two services, read back from its history: the story, the summary and the picture."""

from __future__ import annotations

import html
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from pushdeploy.adapters import stepfunctions
from pushdeploy_cli import picture, render
from pushdeploy_cli.story import Story, Summary, read_story, summarize
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.scenario import Healthy, LateCrash, parse_scenario

WORKER = "aiuteur-cluster/aiuteur-worker-service"
API = "aiuteur-cluster/aiuteur-backend-service"


@pytest.fixture(scope="module")
def two_services() -> tuple[Story, Summary]:
    """One push of a healthy image deployed to the API (behind the ALB) and to a worker (no load balancer)."""
    scenario = parse_scenario(
        {
            "name": "two-services",
            "extra_services": [{"name": "aiuteur-worker-service", "load_balanced": False, "desired_count": 2}],
            "pushes": [],
        }
    )
    with LocalCloud(scenario) as cloud:
        cloud.push_image("aiuteur-backend", "v2", Healthy())
        execution = cloud.start_execution({"repository": "aiuteur-backend", "tag": "v2"}, "two-services")
        cloud.run_until_done(3600)
        children = stepfunctions.child_executions(execution, sfn=cloud.session.client("stepfunctions"))
        return read_story(execution, cloud.history(execution)), summarize(cloud.describe(execution), children)


def test_the_story_has_each_target_with_its_steps_probes_and_result(two_services):
    story, _ = two_services

    assert story.status == "SUCCEEDED" and story.outcome == "deployed" and story.ok
    assert sorted(story.services) == [API, WORKER]
    for target in story.targets:
        assert [s.name for s in target.steps][:3] == ["Lock", "Register", "Update"]
        assert target.probes[-1].verdict == "HEALTHY"
        assert target.result is not None and target.result.outcome == "deployed"
        assert target.progress.startswith("deployed: ")
    worker = next(t for t in story.targets if t.service == WORKER)
    # a service without a load balancer has no targets to pass: it bakes, and its progress counts tasks
    assert any(p.reason.startswith("baking") for p in worker.probes)
    assert all(not p.targets for p in worker.probes)
    assert worker.probes[-1].counts == "2/2 tasks running"


def test_the_summary_of_describe_execution_agrees_with_the_story(two_services):
    story, summary = two_services

    assert (summary.outcome, summary.reason, summary.digest) == (story.outcome, story.reason, story.digest)
    assert sorted(summary.services) == sorted(story.services)
    assert summary.seconds == story.seconds
    assert summary.names("aiuteur-worker-service") and summary.names(API) and not summary.names("other")


def test_the_picture_has_a_panel_per_service_and_draws_the_workers_tasks_as_running(two_services):
    story, _ = two_services

    root = ET.fromstring(picture.svg(story))

    panels = {g.get("data-service"): g for g in root.iter() if g.get("class") == "target"}
    assert set(panels) == {API, WORKER}
    worker_new = next(g for g in panels[WORKER].iter() if g.get("data-role") == "new")
    worker_states = {r.get("class") for r in worker_new.iter() if (r.get("class") or "").startswith("task")}
    assert "task running" in worker_states and "task healthy" not in worker_states
    api_new = next(g for g in panels[API].iter() if g.get("data-role") == "new")
    assert "task healthy" in {r.get("class") for r in api_new.iter()}
    assert all(c.get("data-verdict") for c in root.iter() if c.get("class") == "probe")


@pytest.fixture(scope="module")
def late_crash() -> Story:
    """A healthy image whose task crashes 120 s after it started: healthy, watched, woken, rolled back."""
    scenario = parse_scenario({"name": "late", "pushes": []})
    with LocalCloud(scenario) as cloud:
        cloud.push_image("aiuteur-backend", "v2", LateCrash(kind="late_crash", crash_after_seconds=120))
        execution = cloud.start_execution({"repository": "aiuteur-backend", "tag": "v2"}, "late")
        cloud.run_until_done(3600)
        return read_story(execution, cloud.history(execution))


WATCHING = "healthy; any task that stops for a failure in the next 300 s rolls it back"


def test_a_late_crash_reads_as_healthy_then_woken_and_rolled_back(late_crash):
    (target,) = late_crash.targets
    watch = [(s.name, s.text) for s in target.steps if s.name == "Watch"]
    assert watch[0] == ("Watch", WATCHING)
    assert watch[1][1].startswith("woken: Essential container in task exited (exit code 1)")
    assert target.result is not None and target.result.outcome == "rolled_back"
    assert late_crash.outcome == "rolled_back" and late_crash.status == "FAILED" and not late_crash.ok
    steps = [
        (e.state, e.text.split(":")[0]) for e in late_crash.log() if e.state in ("Watch", "CheckRollout", "Rollback")
    ]
    assert steps[-5:] == [
        ("CheckRollout", "HEALTHY"),
        ("Watch", WATCHING),
        ("Watch", "woken"),
        ("CheckRollout", "FAILED"),
        ("Rollback", "UpdateService to aiuteur-backend"),
    ]
    assert late_crash.log()[0].state == "Plan" and late_crash.log()[0].text.startswith("deploy: deploy aiuteur-backend")


def test_every_view_words_each_event_as_the_reader_does(late_crash):
    # Given the story's log, the one wording of each step and probe
    log = late_crash.log()
    (target,) = late_crash.targets

    # When explain, --follow and the picture's page show it
    explain, follow = Console(record=True, width=1000), Console(record=True, width=1000)
    render.print_story(late_crash, explain)
    render.Progress(follow).update(late_crash)
    explained, followed, page = explain.export_text(), follow.export_text(), picture.html(late_crash)

    # Then each of them says every line of the log in the same words
    for entry in log:
        assert html.escape(entry.text) in page
        if entry.service:  # the Plan is the execution's: explain and --follow show the targets' lines
            assert entry.text in explained and entry.text in followed
    assert len([e for e in log if e.state == "Watch"]) == 2 == explained.count(" Watch ")
    assert target.progress == f"rolled_back: {target.result.reason}"
