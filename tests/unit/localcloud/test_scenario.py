"""The scenario file models: defaults, errors that name the bad field, raw event/input entries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pushdeploy_local.scenario import (
    DEFAULT_CLUSTER,
    DEFAULT_CONTAINER,
    DEFAULT_REPOSITORY,
    DEFAULT_SERVICE,
    Crash,
    Healthy,
    LateCrash,
    PullError,
    Scenario,
    ScenarioError,
    Unhealthy,
    load_scenario,
    parse_scenario,
)

# The example of docs/scenarios.md, verbatim.
CRASH_ON_START = {
    "name": "crash-on-start",
    "service": {
        "desired_count": 2,
        "health_check": {"interval_seconds": 30, "healthy_threshold": 2, "unhealthy_threshold": 3},
        "grace_period_seconds": 60,
        "deregistration_delay_seconds": 30,
        "circuit_breaker": {"enable": True, "rollback": True},
        "load_balanced": True,
    },
    "initial": {"tag": "v1", "behavior": {"kind": "healthy"}},
    "pushes": [
        {
            "at_seconds": 0,
            "tag": "v2",
            "behavior": {"kind": "crash", "start_seconds": 30, "crash_after_seconds": 5, "exit_code": 1},
        }
    ],
}


def write(tmp_path: Path, data: Any, name: str = "my-scenario.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return path


def error_of(data: Any) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)
    return str(caught.value)


def test_the_documented_example_loads(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, CRASH_ON_START))
    assert scenario.name == "crash-on-start"
    assert scenario.service.desired_count == 2
    [push] = scenario.pushes
    assert push.tag == "v2" and push.behavior == Crash(kind="crash", crash_after_seconds=5, exit_code=1)


def test_every_field_but_pushes_has_the_phase_4_default(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, {"pushes": [{"tag": "v2"}]}))
    assert scenario.name == "my-scenario"  # the file's stem
    service = scenario.service
    assert service.desired_count == 1
    health = service.health_check
    assert (health.interval_seconds, health.healthy_threshold, health.unhealthy_threshold) == (30, 2, 3)
    assert (service.grace_period_seconds, service.deregistration_delay_seconds) == (60, 30)
    assert (service.circuit_breaker.enable, service.circuit_breaker.rollback) == (True, True)
    assert service.load_balanced
    assert scenario.initial.tag == "v1" and scenario.initial.behavior == Healthy()
    [push] = scenario.pushes
    assert push.at_seconds == 0 and push.behavior == Healthy(start_seconds=30)
    assert (push.repository, push.repository_name, push.untagged, push.result) == (
        None,
        DEFAULT_REPOSITORY,
        False,
        "SUCCESS",
    )
    assert (push.duplicate, push.manual, push.event, push.input) == (1, False, None, None)
    assert not push.is_raw


def test_the_defaults_name_the_phase_4_service() -> None:
    scenario = parse_scenario({"pushes": []})
    names = scenario.defaults
    assert (names.repository, names.cluster, names.service, names.container) == (
        "aiuteur-backend",
        "aiuteur-cluster",
        "aiuteur-backend-service",
        "aiuteur-backend",
    )
    assert (names.repository, names.cluster, names.service, names.container) == (
        DEFAULT_REPOSITORY,
        DEFAULT_CLUSTER,
        DEFAULT_SERVICE,
        DEFAULT_CONTAINER,
    )
    [service] = scenario.all_services()
    assert (service.name, service.family, service.spec) == (
        DEFAULT_SERVICE,
        "aiuteur-backend",
        scenario.service,
    )


def test_each_behaviour_kind_has_its_defaults() -> None:
    kinds = ["healthy", "crash", "unhealthy", "pull_error", "late_crash"]
    scenario = parse_scenario({"pushes": [{"tag": f"v{i}", "behavior": {"kind": k}} for i, k in enumerate(kinds)]})
    assert [push.behavior for push in scenario.pushes] == [
        Healthy(start_seconds=30),
        Crash(kind="crash", start_seconds=30, crash_after_seconds=5, exit_code=1),
        Unhealthy(kind="unhealthy", start_seconds=30),
        PullError(kind="pull_error", start_seconds=20),
        LateCrash(kind="late_crash", start_seconds=30, crash_after_seconds=120, exit_code=1),
    ]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"pushes": [{"tag": "v2", "behavior": {"kind": "explode"}}]}, "pushes.0.behavior.kind:"),
        ({"pushes": [{"tag": "v2", "behavior": {}}]}, "pushes.0.behavior.kind:"),
        (
            {"pushes": [{"tag": "v2", "behavior": {"kind": "crash", "exit_cod": 3}}]},
            "pushes.0.behavior.exit_cod:",
        ),
        (
            {"pushes": [{"tag": "v2", "behavior": {"kind": "crash", "exit_code": 300}}]},
            "pushes.0.behavior.exit_code:",
        ),
        ({"pushes": [{"tag": "v2", "tga": "x"}]}, "pushes.0.tga: Extra inputs are not permitted"),
        ({"pushes": [{"tag": "v2", "result": "MAYBE"}]}, "pushes.0.result:"),
        ({"pushes": [{"tag": "v2", "duplicate": 0}]}, "pushes.0.duplicate:"),
        ({"pushes": [{"tag": "v2", "at_seconds": -1}]}, "pushes.0.at_seconds:"),
        ({"service": {"desired_count": -1}, "pushes": []}, "service.desired_count:"),
        (
            {"service": {"health_check": {"healthy_threshold": 1}}, "pushes": []},
            "service.health_check.healthy_threshold:",
        ),
        (
            {"service": {"circuit_breaker": {"rollbak": True}}, "pushes": []},
            "service.circuit_breaker.rollbak:",
        ),
        ({"initial": {"behavior": {"kind": "healthy", "start": 3}}, "pushes": []}, "initial.behavior.start:"),
        ({"pushes": [], "extra": 1}, "extra: Extra inputs are not permitted"),
        ({"name": "x"}, "pushes: Field required"),
    ],
)
def test_an_invalid_field_is_named_in_the_error(data: dict[str, Any], field: str) -> None:
    assert field in error_of(data)


def test_a_push_needs_a_tag_unless_untagged() -> None:
    assert "pushes.0: Value error, `tag` is required" in error_of({"pushes": [{"at_seconds": 5}]})
    assert "an untagged push has no `tag`" in error_of({"pushes": [{"tag": "v2", "untagged": True}]})
    scenario = parse_scenario({"pushes": [{"untagged": True}]})
    assert scenario.pushes[0].tag is None and scenario.pushes[0].untagged


def test_raw_event_and_input_entries_need_no_tag() -> None:
    event = {"source": "aws.ecr", "detail-type": "ECR Image Action", "detail": {"image-tag": "v9"}}
    scenario = parse_scenario(
        {
            "pushes": [
                {"at_seconds": 0, "event": event},
                {"at_seconds": 10, "input": {"whatever": "users type"}, "behavior": {"kind": "pull_error"}},
                {"at_seconds": 20, "event": event, "duplicate": 3},
            ]
        }
    )
    delivered, started, duplicated = scenario.pushes
    assert delivered.is_raw and delivered.event == event and delivered.tag is None
    assert delivered.behavior == Healthy()  # a raw payload's image behaves as healthy unless told
    assert started.input == {"whatever": "users type"} and started.behavior == PullError(kind="pull_error")
    assert duplicated.duplicate == 3


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"event": {}, "input": {}}, "give either `event` or `input`, not both"),
        ({"event": {}, "tag": "v2"}, "cannot also set tag"),
        ({"input": {}, "manual": True, "repository": "other"}, "cannot also set repository, manual"),
        ({"event": "not an object"}, "pushes.0.event: Input should be a valid dictionary"),
    ],
)
def test_a_raw_entry_is_sent_as_it_is(entry: dict[str, Any], message: str) -> None:
    assert message in error_of({"pushes": [entry]})


def test_load_scenario_names_the_file_for_unreadable_or_invalid_json(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(ScenarioError, match=r"missing\.json: cannot read"):
        load_scenario(missing)
    with pytest.raises(ScenarioError, match=r"broken\.json: not valid JSON: line 1 column 2"):
        load_scenario(write(tmp_path, "{oops", name="broken.json"))
    with pytest.raises(ScenarioError, match=r"bad\.json: pushes\.0\.behavior\.kind"):
        load_scenario(write(tmp_path, {"pushes": [{"tag": "v2", "behavior": {"kind": "x"}}]}, name="bad.json"))


def test_a_scenario_error_is_a_value_error() -> None:
    assert issubclass(ScenarioError, ValueError)
    assert "(scenario)" in error_of(["not", "an", "object"])


def test_models_are_immutable() -> None:
    scenario = parse_scenario({"pushes": []})
    with pytest.raises(ValueError, match="frozen"):
        scenario.name = "other"  # type: ignore[misc]
    assert isinstance(scenario, Scenario)


def test_the_world_delivers_every_event_at_once_once_and_with_seed_0_by_default() -> None:
    world = parse_scenario({"pushes": []}).world
    assert world.seed == 0
    assert (world.events.delay_seconds, world.events.loss_rate, world.events.duplicate_rate) == ((0, 0), 0, 0)


def test_the_world_takes_a_seed_and_an_event_delivery() -> None:
    world = parse_scenario(
        {
            "world": {"seed": 7, "events": {"delay_seconds": [1, 30], "loss_rate": 0.1, "duplicate_rate": 0.2}},
            "pushes": [],
        }
    ).world
    assert world.seed == 7
    assert (world.events.delay_seconds, world.events.loss_rate, world.events.duplicate_rate) == ((1, 30), 0.1, 0.2)


def test_the_world_is_fast_by_default_and_takes_realistic_timing() -> None:
    assert parse_scenario({"pushes": []}).world.timing == "fast"
    assert parse_scenario({"world": {"timing": "realistic", "seed": 3}, "pushes": []}).world.timing == "realistic"
    assert "world.timing: Input should be 'fast' or 'realistic'" in error_of(
        {"world": {"timing": "slow"}, "pushes": []}
    )


def test_the_container_check_fails_for_an_unhealthy_image_and_passes_otherwise_unless_told() -> None:
    def check(behavior: dict[str, Any]) -> str:
        scenario = parse_scenario({"initial": {"behavior": behavior}, "pushes": []})
        return str(scenario.initial.behavior.model_dump()["container_check"])

    assert [check({"kind": kind}) for kind in ("healthy", "crash", "late_crash", "unhealthy")] == [
        "passes",
        "passes",
        "passes",
        "fails",
    ]
    assert check({"kind": "healthy", "container_check": "fails"}) == "fails"
    assert "initial.behavior.container_check: Input should be 'passes' or 'fails'" in error_of(
        {"initial": {"behavior": {"kind": "healthy", "container_check": "broken"}}, "pushes": []}
    )
    # A pull error never runs its container, so it has no container check to set.
    assert "initial.behavior.container_check: Extra inputs are not permitted" in error_of(
        {"initial": {"behavior": {"kind": "pull_error", "container_check": "fails"}}, "pushes": []}
    )


def test_the_example_of_event_delivery_loads() -> None:
    scenario = load_scenario(Path(__file__).parents[3] / "scenarios" / "late-crash-events-lost.json")
    assert scenario.world.seed == 7
    assert (scenario.world.events.delay_seconds, scenario.world.events.loss_rate) == ((1, 30), 0.2)


@pytest.mark.parametrize(
    ("events", "message"),
    [
        ({"delay_seconds": [30, 1]}, "world.events.delay_seconds: Value error, must be [min, max] with 0 <= min"),
        ({"delay_seconds": [-1, 1]}, "world.events.delay_seconds: Value error, must be [min, max]"),
        ({"delay_seconds": [0, 4000]}, "world.events.delay_seconds: Value error, must be [min, max]"),
        ({"delay_seconds": [1]}, "world.events.delay_seconds.1: Field required"),
        ({"loss_rate": 1.5}, "world.events.loss_rate: Input should be less than or equal to 1"),
        ({"duplicate_rate": -0.1}, "world.events.duplicate_rate: Input should be greater than or equal to 0"),
        ({"order": "random"}, "world.events.order: Extra inputs are not permitted"),
    ],
)
def test_a_bad_event_delivery_is_refused_by_name(events: dict[str, Any], message: str) -> None:
    assert message in error_of({"world": {"events": events}, "pushes": []})


def test_the_circuit_breaker_takes_a_threshold_and_a_reset_on_healthy_task() -> None:
    default = parse_scenario({"pushes": []}).service.circuit_breaker
    assert (default.threshold.type, default.threshold.value, default.reset_on_healthy_task) == (
        "BOUNDED_PERCENT",
        50,
        True,
    )
    breaker = parse_scenario(
        {
            "service": {
                "circuit_breaker": {"threshold": {"type": "COUNT", "value": 3}, "reset_on_healthy_task": False}
            },
            "pushes": [],
        }
    ).service.circuit_breaker
    assert (breaker.threshold.type, breaker.threshold.value, breaker.reset_on_healthy_task) == ("COUNT", 3, False)


@pytest.mark.parametrize(
    ("threshold", "message"),
    [
        ({"type": "PERCENT"}, "service.circuit_breaker.threshold.type: Input should be 'BOUNDED_PERCENT'"),
        ({"type": "COUNT", "value": 0}, "service.circuit_breaker.threshold.value: Input should be greater than"),
        ({"value": 3, "min": 1}, "service.circuit_breaker.threshold.min: Extra inputs are not permitted"),
    ],
)
def test_a_bad_circuit_breaker_threshold_is_refused_by_name(threshold: dict[str, Any], message: str) -> None:
    assert message in error_of({"service": {"circuit_breaker": {"threshold": threshold}}, "pushes": []})


# Scenario files forbid unknown fields, so that no run silently ignores what it was asked to prove.
@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"service": {"canary": {"percent": 10}}}, "service.canary:"),
        ({"deployer": {"approvers": ["ops"]}}, "deployer.approvers:"),
    ],
)
def test_a_field_the_contract_does_not_have_is_refused_by_name(data: dict[str, Any], field: str) -> None:
    assert f"{field} Extra inputs are not permitted" in error_of({**data, "pushes": []})


@pytest.mark.parametrize("name", ["approve", "abort"])
def test_an_approve_or_abort_entry_is_an_answer_at_a_time_and_nothing_else(name: str) -> None:
    entry = parse_scenario({"pushes": [{"at_seconds": 90, name: True}]}).pushes[0]
    assert (entry.answers, entry.at_seconds) == (name, 90)
    # An answer pushes nothing: a push's field beside it is refused by name, as are both answers at once.
    assert f"pushes.0: Value error, an `{name}` entry pushes nothing; it cannot also set behavior, tag" in error_of(
        {"pushes": [{"tag": "v2", "behavior": {"kind": "crash"}, name: True}]}
    )
    assert "pushes.0: Value error, an entry either approves or aborts, not both" in error_of(
        {"pushes": [{"approve": True, "abort": True}]}
    )


def test_a_push_entry_answers_nothing_and_the_deployer_asks_for_no_approval_by_default() -> None:
    scenario = parse_scenario({"pushes": [{"tag": "v2"}]})
    assert scenario.pushes[0].answers is None
    assert "approval" not in scenario.deployer.policy()  # the policy's own default (none) holds
    asked = parse_scenario({"deployer": {"approval": True}, "pushes": []}).deployer.policy()
    assert (asked["approval"], asked["approval_timeout_seconds"]) == (True, 3600)


def test_service_deployment_names_ecss_strategy_in_the_targets_units():
    scenario = parse_scenario(
        {
            "service": {"deployment": {"strategy": "canary", "canary_percent": 10, "canary_bake_seconds": 300}},
            "pushes": [],
        }
    )
    assert scenario.service.deployment.native
    assert scenario.service.deployment.target_strategy().deployment_configuration()["canaryConfiguration"] == {
        "canaryPercent": 10.0,
        "canaryBakeTimeInMinutes": 5,
    }
    assert not parse_scenario({"pushes": []}).service.deployment.native


@pytest.mark.parametrize(
    ("deployment", "message"),
    [
        ({"strategy": "canaries"}, "service.deployment.strategy: Input should be 'rolling', 'blue_green'"),
        (
            {"strategy": "canary", "canary_bake_seconds": 30},
            "deployment: Value error, canary_bake_seconds: Input should be a multiple of 60",
        ),
        ({"strategy": "linear", "step": 10}, "service.deployment.step: Extra inputs are not permitted"),
    ],
)
def test_a_bad_service_deployment_is_refused_by_name(deployment: dict[str, Any], message: str) -> None:
    assert message in error_of({"service": {"deployment": deployment}, "pushes": []})


def test_iam_remove_refuses_a_function_or_action_the_template_does_not_grant():
    def remove(function: str, action: str) -> None:
        parse_scenario({"iam": {"remove": [{"function": function, "action": action}]}, "pushes": []})

    with pytest.raises(ScenarioError, match=r"iam\.remove\.0: .*no function 'DeployFunction'"):
        remove("DeployFunction", "ecs:UpdateService")
    with pytest.raises(ScenarioError, match="UpdateFunction's role does not grant ecs:RegisterTaskDefinition"):
        remove("UpdateFunction", "ecs:RegisterTaskDefinition")
    remove("UpdateFunction", "ecs:UpdateService")  # granted: accepted


def test_a_retag_names_the_tag_it_copies_and_takes_nothing_a_new_image_would() -> None:
    scenario = parse_scenario({"pushes": [{"tag": "release-4", "retag_of": "v4"}]})
    assert scenario.pushes[0].retag_of == "v4"
    message = (
        "`retag_of` gives an existing image a new `tag`: no `untagged`, `result`, `behavior` or `behavior_by_service`"
    )
    assert message in error_of({"pushes": [{"tag": "r", "retag_of": "v4", "behavior": {"kind": "crash"}}]})
    assert "cannot also set retag_of" in error_of({"pushes": [{"input": {}, "retag_of": "v4"}]})


def test_the_repository_takes_a_tag_mutability_and_a_lifecycle_policy() -> None:
    policy = {"rules": [{"rulePriority": 1, "selection": {}, "action": {"type": "expire"}}]}
    scenario = parse_scenario({"repository": {"tag_mutability": "IMMUTABLE", "lifecycle_policy": policy}, "pushes": []})
    assert (scenario.repository.tag_mutability, scenario.repository.lifecycle_policy) == ("IMMUTABLE", policy)
    assert parse_scenario({"pushes": []}).repository.lifecycle_policy is None
    assert "repository.tag_mutability:" in error_of({"repository": {"tag_mutability": "SOMETIMES"}, "pushes": []})


def test_faults_name_a_step_of_the_template_and_when_it_crashes():
    scenario = parse_scenario({"faults": [{"step": "Register", "when": "after", "times": 2}], "pushes": []})
    (fault,) = scenario.faults
    assert (fault.function, fault.when, fault.times) == ("RegisterFunction", "after", 2)
    assert parse_scenario({"faults": [{"step": "Check", "when": "before"}], "pushes": []}).faults[0].times == 1

    said = error_of({"faults": [{"step": "Deploy", "when": "after"}], "pushes": []})
    assert said.startswith(
        "faults.0.step: Value error, no step 'Deploy' (the steps: Approval, Check, Lock, Notify, Plan, "
    )
    assert "DeployStateMachine" not in said
    assert "faults.0.when: Input should be 'before' or 'after'" in error_of(
        {"faults": [{"step": "Register", "when": "during"}], "pushes": []}
    )
    assert "faults.0.times: Input should be greater than or equal to 1" in error_of(
        {"faults": [{"step": "Register", "when": "after", "times": 0}], "pushes": []}
    )


def test_alarms_take_a_name_a_state_and_a_time():
    scenario = parse_scenario({"alarms": [{"name": "api-5xx", "state": "ALARM", "at_seconds": 150}], "pushes": []})
    (alarm,) = scenario.alarms
    assert (alarm.name, alarm.state, alarm.at_seconds) == ("api-5xx", "ALARM", 150)
    assert "alarms.0.state: Input should be 'ALARM', 'OK' or 'INSUFFICIENT_DATA'" in error_of(
        {"alarms": [{"name": "api-5xx", "state": "FIRING"}], "pushes": []}
    )
    assert "alarms.0.name: String should have at most 255 characters" in error_of(
        {"alarms": [{"name": "a" * 256, "state": "OK"}], "pushes": []}
    )


def test_an_extra_service_takes_its_own_deployer_over_the_top_level_one_field_by_field():
    scenario = parse_scenario(
        {
            "deployer": {"tags": ["v*"], "watch_seconds": 120, "alarms": ["api-5xx"]},
            "extra_services": [
                {"name": "jobs", "deployer": {"tags": ["jobs-*"], "watch_seconds": 0}, "target_container": "runner"},
                {"name": "worker"},
            ],
            "pushes": [],
        }
    )
    main, jobs, worker = scenario.all_services()
    assert (main.deployer.tags, main.deployer.watch_seconds, main.target_container) == (["v*"], 120, "aiuteur-backend")
    assert (jobs.deployer.tags, jobs.deployer.watch_seconds, jobs.deployer.alarms) == (["jobs-*"], 0, ["api-5xx"])
    assert (jobs.container, jobs.target_container) == ("aiuteur-backend", "runner")
    assert worker.deployer == main.deployer and worker.target_container == worker.container
    approving = parse_scenario({"extra_services": [{"name": "jobs", "deployer": {"approval": True}}], "pushes": []})
    main, jobs = approving.all_services()
    assert (main.deployer.approval, jobs.deployer.approval) == (False, True)


def test_behavior_by_service_names_services_of_the_scenario():
    push = {"tag": "v2", "behavior_by_service": {"jobs": {"kind": "crash", "exit_code": 3}}}
    scenario = parse_scenario({"extra_services": [{"name": "jobs"}], "pushes": [push]})
    assert scenario.pushes[0].behavior_by_service == {"jobs": Crash(kind="crash", exit_code=3)}

    assert error_of({"pushes": [push]}) == (
        "pushes.0.behavior_by_service: no service 'jobs' (the services: aiuteur-backend-service)"
    )
    bad = {"tag": "v2", "behavior_by_service": {"jobs": {"kind": "crash", "exit_code": 300}}}
    assert "pushes.0.behavior_by_service.jobs.exit_code: Input should be less than or equal to 255" in error_of(
        {"extra_services": [{"name": "jobs"}], "pushes": [bad]}
    )


def test_traffic_and_the_errors_and_slow_behaviours_are_read() -> None:
    scenario = parse_scenario(
        {
            "service": {"traffic": {"requests_per_second": 50}},
            "pushes": [
                {"tag": "v2", "behavior": {"kind": "errors", "error_rate": 0.2}},
                {"tag": "v3", "behavior": {"kind": "slow", "p99_ms": 3000}},
            ],
        }
    )
    assert scenario.service.traffic is not None and scenario.service.traffic.requests_per_second == 50
    assert [p.behavior.kind for p in scenario.pushes] == ["errors", "slow"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"service": {"traffic": {"requests_per_second": 0}}},
            "service.traffic.requests_per_second: Input should be greater than 0",
        ),
        (
            {"service": {"load_balanced": False, "traffic": {"requests_per_second": 5}}},
            "it needs `load_balanced`: true",
        ),
        (
            {"pushes": [{"tag": "v2", "behavior": {"kind": "errors", "error_rate": 1.5}}]},
            "pushes.0.behavior.error_rate: Input should be less than or equal to 1",
        ),
        ({"pushes": [{"tag": "v2", "behavior": {"kind": "slow"}}]}, "pushes.0.behavior.p99_ms: Field required"),
    ],
)
def test_bad_traffic_or_behaviour_is_refused_by_name(data: dict[str, Any], message: str) -> None:
    assert message in error_of({"pushes": [], **data})
