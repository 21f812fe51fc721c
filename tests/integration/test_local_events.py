"""EventBridge in the local cloud: the ECS model's task and deployment state changes reach the template's rules,
and the deployer's Watch waits on its task token in virtual time."""

from __future__ import annotations

import json
from typing import Any

from pushdeploy_local.cloud import EPOCH, LocalCloud
from pushdeploy_local.runner import ecr_event
from pushdeploy_local.scenario import Behavior, Healthy, LateCrash, Push, parse_scenario
from pushdeploy_local.stack import source

CLUSTER = "aiuteur-cluster"


def deploy(cloud: LocalCloud, behavior: Behavior) -> None:
    digest = cloud.push_image("aiuteur-backend", "v2", behavior)
    cloud.deliver(ecr_event(cloud, Push(tag="v2"), digest, index=1))
    cloud.run_until_done(3600)


def watch_events(cloud: LocalCloud, state: str = "Watch") -> list[tuple[float, str, dict[str, Any]]]:
    """(virtual seconds, type, details) of the history events of the Watch task (or another), from its entry on."""
    found, inside = [], False
    for event in cloud.history(cloud.executions[0]):
        entered = event.get("stateEnteredEventDetails", {}).get("name")
        inside = inside or entered == state
        if inside and event["type"].startswith("Task") and not event["type"].startswith("TaskState"):
            details = next((v for k, v in event.items() if k.endswith("EventDetails")), {})
            found.append(((event["timestamp"] - EPOCH).total_seconds(), event["type"], details))
        if event.get("stateExitedEventDetails", {}).get("name") == state or event["type"] == "ExecutionFailed":
            inside = False
    return found


def test_a_task_that_crashes_while_watched_reaches_wake_and_ends_the_watch_then() -> None:
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        # Given a v2 that passes its checks (verdict at 100 s, when its deployment completes), then exits 120 s
        # after it started (at 150 s)
        deploy(cloud, LateCrash(kind="late_crash", crash_after_seconds=120, exit_code=137))

        # Then every stopped service task went through TaskStoppedRule to WakeFunction three times (the first
        # event once ECS decided to stop it, its STOPPING and its STOPPED one), each deployment that completed or
        # failed through DeploymentStateChangeRule, and nothing else did
        delivered = [d for d in cloud.events_delivered if d.rule == "TaskStoppedRule"]
        assert {(d.rule, d.function, d.error) for d in cloud.events_delivered} == {
            ("TaskStoppedRule", "WakeFunction", None),
            ("DeploymentStateChangeRule", "WakeFunction", None),
        }
        assert all(d.event["detail"]["desiredStatus"] == "STOPPED" for d in delivered)
        assert [d.event["detail"]["lastStatus"] for d in delivered].count("STOPPED") * 3 == len(delivered)
        assert 3 * len({d.event["detail"]["taskArn"] for d in delivered}) == len(delivered)
        assert cloud.usage.invocations["WakeFunction"] == len(cloud.events_delivered)
        [_, crash, _] = [d for d in delivered if d.event["detail"]["stopCode"] == "EssentialContainerExited"]
        assert crash.event["detail"]["lastStatus"] == "STOPPING"  # its container has exited: the exit code
        assert crash.at_seconds == 150
        detail = crash.event["detail"]
        assert detail["containers"][0]["exitCode"] == 137
        assert detail["group"] == "service:aiuteur-backend-service"
        # The event is the task as DescribeTasks shows it
        [described] = cloud.session.client("ecs").describe_tasks(cluster=CLUSTER, tasks=[detail["taskArn"]])["tasks"]
        assert (described["startedBy"], described["stoppedReason"]) == (detail["startedBy"], detail["stoppedReason"])
        assert described["taskDefinitionArn"].endswith("aiuteur-backend:2")

        # And the Watch, waiting since the verdict, got its token back at that very instant
        (entered, *_), *_, (ended, kind, details) = watch_events(cloud)
        assert (entered, ended, kind) == (100, 150, "TaskSucceeded")
        assert json.loads(details["output"])["woken_by"] == detail["taskArn"]


def test_a_healthy_deploy_is_watched_for_300_virtual_seconds_then_times_out() -> None:
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        deploy(cloud, Healthy())

        watch = watch_events(cloud)
        assert (watch[0][0], watch[-1][:2]) == (100, (400, "TaskTimedOut"))
        assert watch[-1][2]["error"] == "States.Timeout"
        assert cloud.describe(cloud.executions[0])["status"] == "SUCCEEDED"
        # The old task, which ECS began to scale down at 70 s (draining) and stopped at 100 s, was delivered too
        # (its first stopping event, its STOPPING and its STOPPED one) and woke nobody
        scaled_down = [d for d in cloud.events_delivered if d.rule == "TaskStoppedRule"]
        assert [d.at_seconds for d in scaled_down] == [70, 100, 100]
        assert {d.event["detail"]["stopCode"] for d in scaled_down} == {"ServiceSchedulerInitiated"}


def test_without_a_task_stopped_rule_the_events_are_dropped_and_the_watch_runs_its_course() -> None:
    template = source()
    del template["Resources"]["TaskStoppedRule"]
    del template["Resources"]["TaskStoppedRuleInvokesWake"]  # the rule's permission to invoke Wake goes with it
    with LocalCloud(parse_scenario({"pushes": []}), template) as cloud:
        deploy(cloud, LateCrash(kind="late_crash", crash_after_seconds=120, exit_code=137))

        assert {d.rule for d in cloud.events_delivered} == {"DeploymentStateChangeRule"}
        # Nobody woke the Watch: the crash at 150 s is found by the Check after its timeout at 400 s
        assert watch_events(cloud)[-1][:2] == (400, "TaskTimedOut")
        assert cloud.describe(cloud.executions[0])["error"] == "DeploymentFailed"


def test_an_event_that_no_rule_matches_is_dropped_and_a_failed_target_is_recorded() -> None:
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        task = {
            "lastStatus": "RUNNING",
            "desiredStatus": "RUNNING",
            "clusterArn": f"arn:aws:ecs:us-east-1:123456789012:cluster/{CLUSTER}",
            "group": "service:aiuteur-backend-service",
        }
        running = {"version": "0", "source": "aws.ecs", "detail-type": "ECS Task State Change", "detail": task}

        assert cloud.publish(running) == []
        assert cloud.events_delivered == [] and not cloud.usage.invocations

        # When the Wake function dies on a stopped task's event
        cloud.crash("WakeFunction", after_handler=False)
        stopped = running | {"detail": task | {"lastStatus": "STOPPED", "desiredStatus": "STOPPED"}}
        [delivery] = cloud.publish(stopped)

        assert (delivery.rule, delivery.function, delivery.error) == (
            "TaskStoppedRule",
            "WakeFunction",
            "InjectedCrash",
        )
        assert cloud.events_delivered == [delivery] and cloud.usage.invocations["WakeFunction"] == 1

        # A task of another cluster, or one no service started, is none of the watch's business
        other_cluster = task | {"clusterArn": "arn:aws:ecs:us-east-1:123456789012:cluster/payments"}
        standalone = task | {"group": "family:aiuteur-backend"}
        for detail in (other_cluster, standalone):
            assert (
                cloud.publish(running | {"detail": detail | {"lastStatus": "STOPPED", "desiredStatus": "STOPPED"}})
                == []
            )


def test_a_tag_moved_back_to_the_image_it_named_before_deploys_that_image_again() -> None:
    with LocalCloud(parse_scenario({"pushes": []})) as cloud:
        ecs = cloud.session.client("ecs")

        def push_and_run(index: int, digest: str | None = None) -> str:
            pushed = cloud.push_image("aiuteur-backend", "v2", Healthy(), digest)
            cloud.deliver(ecr_event(cloud, Push(tag="v2"), pushed, index=index))
            cloud.run_until_done(cloud.clock.now + 3600)
            return pushed

        def running_image() -> str:
            service = ecs.describe_services(cluster=CLUSTER, services=["aiuteur-backend-service"])["services"][0]
            definition = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
            return str(definition["containerDefinitions"][0]["image"])

        # Given v2 pushed as image A, then moved to image B (both deployed),
        a = push_and_run(1)
        b = push_and_run(2)
        assert running_image().endswith(b)
        # when v2 is moved back to A (a new push of a known image: a new event),
        push_and_run(3, digest=a)

        # then a third execution deploys A, where the old name made it a "duplicate" of the first.
        assert len(cloud.executions) == 3
        assert [cloud.describe(e)["status"] for e in cloud.executions] == ["SUCCEEDED"] * 3
        assert running_image().endswith(a)
