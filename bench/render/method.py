"""The "How it is measured" section: the runs, the four systems, what each figure means."""

from __future__ import annotations

from bench.cases import HORIZON_SECONDS
from bench.render.cells import SPEC, watch_seconds
from bench.rows import Row
from pushdeploy_local.ecs.facts import (
    DEFAULT_STOP_TIMEOUT_SECONDS,
    REALISTIC_ACTIVATING_SECONDS,
    REALISTIC_DEPROVISIONING_SECONDS,
    REALISTIC_PROVISIONING_SECONDS,
    REALISTIC_PULL_SECONDS,
    REALISTIC_REPLACEMENT_DELAY_SECONDS,
    REPLACEMENT_DELAY_SECONDS,
    THROTTLE_MAX_DELAY_SECONDS,
)


def _span(bounds: tuple[float, float]) -> str:
    low, high = bounds
    return f"{low:g}-{high:g} s"


def section(rows: list[Row]) -> list[str]:
    return [
        "## How it is measured",
        "",
        "Every run is one fresh local cloud (moto, the ECS/ALB model of `localcloud/pushdeploy_local/`, "
        f"the virtual clock) holding the {SPEC}, with the deployment circuit breaker and its rollback on "
        "(the template's setting). At 0 s a new image `v2` is pushed; it behaves as the scenario says "
        "(scenarios.md defaults: `crash_on_start` exits 1 five seconds after RUNNING; `alb_unhealthy` answers "
        "the ALB health check with 502; `pull_error` fails its pull (after 20 s on fast timing); `late_crash` exits "
        f"120 s after RUNNING). The world is then watched for {HORIZON_SECONDS:g} virtual seconds, whatever the "
        "system does.",
        "",
        "The ECS model runs on `realistic` timing (`world.timing`, seed 0), the main tables: each task's "
        f"PROVISIONING ({_span(REALISTIC_PROVISIONING_SECONDS)}), image pull ({_span(REALISTIC_PULL_SECONDS)}), "
        f"ACTIVATING ({_span(REALISTIC_ACTIVATING_SECONDS)}), STOPPING after SIGTERM (1 s to the "
        f"{DEFAULT_STOP_TIMEOUT_SECONDS:g} s stopTimeout), DEPROVISIONING ({_span(REALISTIC_DEPROVISIONING_SECONDS)}) "
        f"and the scheduler's replacement delay ({_span(REALISTIC_REPLACEMENT_DELAY_SECONDS)}) drawn from ranges "
        "AWS does not publish: each is a modelling choice whose basis `localcloud/pushdeploy_local/ecs/facts.py` and "
        "aws-facts.md give. So that no figure rests on that choice, every run is made again on `fast` timing (a "
        f"task RUNNING 30 s after launch, the stop states instantaneous, replacements after "
        f'{REPLACEMENT_DELAY_SECONDS:g} s: "Realistic timing beside fast timing"), and pushdeploy and the circuit '
        'breaker alone again with the strictest breaker ECS allows ("The circuit breaker\'s strictest setting"); '
        "each goal is judged on both timings. Both timings share what ECS documents: the template's container "
        "health check (`wget` of the health path every 30 s, 3 retries, 60 s startPeriod; an `alb_unhealthy` image "
        "fails it too, but the ALB decides first), and the throttle of launches that keep failing to start (from "
        f"the third in a row, each wait doubles, up to {THROTTLE_MAX_DELAY_SECONDS / 60:g} minutes).",
        "",
        "- **pushdeploy**: `pushdeploy_local.runner.run` unchanged (the ECR event, the real state machine and "
        "handlers), on a subclass of `LocalCloud` that only records (`bench/observe.py`), with the targets' "
        f"default policy: after a healthy verdict the deploy is watched for `watch_seconds` ({watch_seconds(rows)} "
        "s) on a task token, without polling; before it, the rollout waits on a task token too, ended by its "
        "events or by a fallback probe. The ECS model's `ECS Task State Change` and `ECS Deployment State "
        "Change` events go through the template's EventBridge rules `TaskStoppedRule` and "
        "`DeploymentStateChangeRule` to the Wake function, as on AWS. `TaskStoppedRule` matches every stopping "
        "service task of the stack's cluster three times (the stop's first event, its STOPPING and its STOPPED "
        "one), so Wake runs three times per stopped task, whether a deploy waits or not: for each old task a "
        "rollout replaces, for each "
        "failing new task, and for each turn of a crash loop that a bad image left in place keeps causing.",
        "- **circuit breaker**: DescribeServices, DescribeTaskDefinition, RegisterTaskDefinition (the image by "
        "digest), UpdateService, and nothing more. Its verdict is the new deployment's `rolloutState` "
        "(FAILED or COMPLETED).",
        "- **waiter**: the same four calls, then botocore's own `services-stable` waiter (its definition in "
        "botocore's `ecs/2014-11-13/waiters-2.json`: DescribeServices every 15 s, 40 attempts, success when "
        "the service has one deployment and runningCount = desiredCount; aws-facts.md), its sleeps on the "
        "virtual clock; if it fails, UpdateService back to the previous task definition.",
        "- **poll 1 s**: the same four calls, then fabfuel/ecs-deploy's rule (aws-facts.md: polls every 1 s, "
        "300 s timeout; run with `--rollback`): DescribeServices each second; a PRIMARY deployment FAILED "
        "ends it without rollback; one deployment left and desiredCount RUNNING tasks of the service's task "
        "definition (ListTasks, DescribeTasks) is success; at the timeout it rolls back and waits for that "
        "the same way (600 s). Its final DeregisterTaskDefinition is left out.",
        "",
        "Figures (virtual seconds; the push is at 0 s):",
        "",
        "- **verdict**: when the system decided, and what it said. *(wrong)* marks a success reported for a bad "
        "image (after ECS's own rollback the service looks stable again, so the waiter and the poller report "
        "the deployment as successful) or a failure for a good one.",
        "- **first failure evidence**: the first task of the new image that ECS stops for a failure, by the "
        "deployer's own rule (`pushdeploy.verdict.is_failing_stop`, which Check and Wake judge by: an essential "
        "container that exits 0 is no failure), from its `stoppingAt`; or the first of its targets `unhealthy`, "
        "whichever is first.",
        "- **detect**: from the first failure evidence to the rollback's UpdateService: the system's own, or "
        "ECS's circuit-breaker rollback when that came first (marked *ECS*).",
        "- **restore**: when the previous task definition is the only deployment again, COMPLETED, with "
        "desiredCount tasks running and every target healthy. Note that with minimumHealthyPercent 100 the old "
        "tasks keep serving while a new image fails to start, so for crash, unhealthy and pull-error images "
        "this is when the service is clean again, not the end of an outage; for a late crash the old tasks are "
        "gone and the outage lasts until the restore.",
        "- **cost**: billed state transitions (entered states plus Lambda retries), Lambda requests and "
        "GB-seconds (the handlers' real in-process durations, 256 MB, arm64; every invocation within the "
        f"{HORIZON_SECONDS:g} s watched, Wake's included, during the execution or after it), priced as in "
        "aws-facts.md "
        "(Standard workflow $0.025 per 1,000 transitions, $0.20 per 1M requests, $0.0000133334 per GB-s "
        "arm64; free tiers left out). The baselines run outside AWS: their AWS cost is nil and a CI runner's "
        "is not in aws-facts.md, so it is null (their `client_busy_s` in results.json says how long they keep "
        "a runner busy).",
        "- **API calls**: every call the system makes (pushdeploy: its handlers'). A probe is one Check "
        "invocation (pushdeploy), one waiter attempt, one loop of the poller.",
        "",
        "`bench/results.json` has issue 7's keys (`verdict_s`, `detect_s`, `restore_s`, `transitions`, "
        "`lambda_invocations`, `usd_per_1000`, `api_calls` as a total, `api_calls_per_probe`) and, to explain "
        "them, `outcome`, `verdict_correct`, `evidence_s`, `rollback_s`, `rolled_back_by`, `completed_s` (the new "
        "deployment complete and healthy), `ecs_failed_s`, `client_busy_s`, `lambda_gb_seconds` and "
        "`api_calls_by_operation`; pushdeploy's rows also have the `policy` it ran with, "
        "`lambda_invocations_by_function`, `wake_at_s` (when Wake ran), `watch_from_s` (when the watch began) and "
        "`lock_released_s` (Unlock). null is a figure the system has no notion of (a baseline's transitions, a "
        f"healthy image's restore) or a moment that did not come within the {HORIZON_SECONDS:g} s watched "
        "(`evidence_s` and `outcome` tell which). `bench/rows.py` declares every key.",
        "",
    ]
