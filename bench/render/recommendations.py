"""The "Recommended design changes" section: for each missed goal, what the measurements point at."""

from __future__ import annotations

from bench.goals import CANARY_VERDICT, MAX_CALLS_PER_PROBE, MAX_IMPORT_RATIO, decided_within_a_poll
from bench.measurements import Artifacts, Fanout, Goal, Imports, Measurements
from bench.render.cells import n
from bench.rows import Conclusion, Row, pushdeploy_rows
from pushdeploy.steps.plan import MAP_CONCURRENCY, REGISTER_AT_ONCE
from pushdeploy.verdict import POLL_SECONDS


def section(rows: list[Row], m: Measurements) -> list[str]:
    out = ["", "## Recommended design changes", ""]
    if not [g for g in m.goals if g.met is False]:
        return [*out, "Every goal is met.", ""]
    if _goal(m, "A verdict within").met is False:
        out.append(_verdict_missed(rows, _goal(m, "A verdict within")))
    for prefix in ("Crash on start", "A healthy deploy"):
        goal = _goal(m, prefix)
        if goal.met is False:
            out.append(f"- **{goal.goal}: missed** ({'; '.join(goal.misses)}). {goal.detail}.")
    canary = next((g for g in m.goals if g.goal.startswith(CANARY_VERDICT)), None)
    if canary is not None and canary.met is False:
        out.append(
            f"- **{canary.goal}: missed** ({'; '.join(canary.misses)}). {canary.detail}. Where a late verdict comes "
            "from (the hook's answers in the canary rows): the hook answers SUCCEEDED at the first look whose "
            "window holds the minimum sample and shows nothing significant. A small error rate is not yet "
            "significant in a few hundred requests at the per-look alpha, so the canary step goes on, ECS's "
            "canary bake passes with no look at all, and the version is failed at the next traffic step, on the "
            "whole canary phase's evidence, as all production traffic moves to it. Keeping the hook IN_PROGRESS "
            "through the canary bake (a look per metric period, the false-positive rate spent across the looks "
            "as now) would judge the growing window while the canary still has only its share."
        )
    if _goal(m, "At most").met is False:
        out += _calls(rows, m.fanout)
    if m.imports is not None:
        out.append(_lighter_imports(m.imports, met=_goal(m, "Each handler").met is not False))
    artifacts = m.artifacts.artifacts if isinstance(m.artifacts, Artifacts) else {}
    layer = next((x for name, x in artifacts.items() if name.endswith("Layer")), None)
    if layer and "botocore" in layer.largest_packages:
        out.append(
            f"- **The layer ships botocore ({layer.largest_packages['botocore'] / 1e6:.0f} MB of "
            f"{layer.bytes / 1e6:.0f} MB)** because `layers/core/requirements.txt` pins boto3, so that the "
            "functions run on the SDK the tests ran on, and boto3 brings its botocore. On Lambda the layer comes "
            "before the runtime on sys.path, so the layer's pair is used and the runtime's own boto3 and botocore "
            "lie unused. Leaving boto3 out of the layer would save that size and take whatever SDK the runtime "
            "ships; the import goal would not move, since it is measured against `import boto3` from the same "
            "place as the handlers'."
        )
    return out


def _goal(m: Measurements, prefix: str) -> Goal:
    return next(g for g in m.goals if g.goal.startswith(prefix))


def _verdict_missed(rows: list[Row], goal: Goal) -> str:
    """The runs whose verdict came later than a poll after the evidence, or never, and what was watching them."""
    why = []
    for row in pushdeploy_rows(rows):
        if row.evidence_s is None or decided_within_a_poll(row):
            continue
        name, watch = f"{row.scenario} x{row.desired_count}", row.policy.watch_seconds
        ended = row.client_busy_s
        if row.outcome == Conclusion.SUCCESS and ended is not None and row.evidence_s > ended:
            why.append(
                f"{name}: its first failure at {n(row.evidence_s)} s came after the execution had ended at "
                f"{n(ended)} s (`watch_seconds` {watch})"
            )
        elif row.verdict_s is not None and row.verdict_s in row.wake_at_s and row.evidence_s < row.verdict_s:
            why.append(
                f"{name}: `{row.outcome}` at {n(row.verdict_s)} s, when Wake ran, {n(row.verdict_s - row.evidence_s)} "
                f"s after the task began to stop at {n(row.evidence_s)} s: Wake runs on the stop's first event "
                "(`TaskStoppedRule` matches desiredStatus STOPPED from the state the task was in), so that event "
                "reached it late (EventBridge delivers best effort) or did not decide the stop"
            )
        else:
            why.append(f"{name}: `{row.outcome}` at {n(row.verdict_s)} s ({row.reason})")
    return (
        f"- **Verdicts more than a poll ({POLL_SECONDS} s) after the first failure evidence, or wrong: "
        f"{len(goal.misses)} runs.** {'; '.join(why)}."
    )


def _calls(rows: list[Row], fanout: Fanout | None) -> list[str]:
    out = []
    worst = max(pushdeploy_rows(rows), key=lambda r: r.api_calls_per_probe or 0)
    if worst.api_calls_per_probe and worst.api_calls_per_probe > MAX_CALLS_PER_PROBE:
        probe = ", ".join(f"{op} {count:g}" for op, count in worst.calls_per_probe_by_operation.items())
        out.append(
            f"- **Fewer calls per probe ({worst.api_calls_per_probe:g}, goal {MAX_CALLS_PER_PROBE}).** A probe now "
            f"makes: {probe}. Record the target group's targets and the task ARNs already described in the rollout, "
            "so that a probe is DescribeServices + ListTasks(desiredStatus=STOPPED, startedBy=deployment) + "
            "DescribeTargetHealth, with DescribeTasks only for a newly stopped or newly running task."
        )
    for bucket in fanout.limits.buckets if fanout else []:
        if not bucket.throttled:
            continue
        callers = ", ".join(f"{k} {v}" for k, v in bucket.busiest_second_by_caller.items())
        out.append(
            f"- **The 50-service push overdraws {bucket.bucket}** ({bucket.calls} calls, "
            f"{bucket.peak_per_second} within one second at {n(bucket.busiest_second_at)} s against a burst "
            f"of {bucket.burst}; {bucket.throttled} calls over). In that second: {callers}. Plan already reads "
            "the targets ten to a DescribeServices call and leaves each task definition to Register, and the Map "
            f"runs up to {MAP_CONCURRENCY} targets at once, the first {REGISTER_AT_ONCE} starting together and each "
            "next one a second after the one before (`steps.plan.start_delay`): spread or batch the calls of the "
            "callers above, or widen that stagger. Every step retries Throttled (2 s, then 4 s, jittered), but "
            "ECS's buckets are shared with every other client of the account (aws-facts.md)."
        )
    return out


def _lighter_imports(imports: Imports, met: bool) -> str:
    handlers = imports.handlers
    ratios = [h.ratio_to_boto3 for h in handlers.values()]
    built = [h.ratio_with_models_built for h in handlers.values()]
    span = (
        f"{min(ratios):g}x to {max(ratios):g}x `import boto3`, {min(built):g}x to {max(built):g}x with every "
        "model built"
    )
    done = (
        "The handlers no longer load Powertools' Tracer (the X-Ray SDK) nor its parser (each step validates its "
        "input with its model's `model_validate`), each step imports only what it uses (`PlanItem` lives in "
        "`pushdeploy.models`, so Check, Lock and Rollout no longer import the Plan step), and the models build "
        "their validators on first use (`defer_build`)."
    )
    if met:
        return f"- **Cold imports: goal met ({span}, goal {MAX_IMPORT_RATIO:g}x).** {done}"
    boto3_ms = imports.boto3_median_ms
    budget = MAX_IMPORT_RATIO * boto3_ms
    worst_name, worst = max(handlers.items(), key=lambda item: item[1].median_ms)
    libraries = imports.baselines.libraries
    text = (
        f"- **Lighter imports ({span}; goal {MAX_IMPORT_RATIO:g}x).** {done} Still, the slowest, {worst_name}, "
        f"imports in {worst.median_ms:g} ms, {worst.median_ms - budget:.0f} ms over the goal's "
        f"{budget:.0f} ms. The libraries alone (boto3, pydantic's `BaseModel`, Powertools' `Logger`) take "
        f"{libraries.median_ms:g} ms ({libraries.ratio_to_boto3:g}x), "
    )
    if libraries.median_ms >= budget:
        return text + (
            "already over the goal: no change to pushdeploy's own code can meet it with these libraries. Drop "
            "one of them, or restate the goal against that floor."
        )
    text += (
        f"which leaves {budget - libraries.median_ms:.0f} ms for what pushdeploy's code adds; it adds "
        f"{worst.median_ms - libraries.median_ms:.0f} ms."
    )
    extra = []
    alone = libraries.import_ms_by_package
    grown = sorted(worst.import_ms_by_package, key=lambda p: alone.get(p, 0) - worst.import_ms_by_package[p])
    for package in grown:
        more = worst.import_ms_by_package[package] - alone.get(package, 0)
        if more < 2:
            continue
        modules, modules_alone = worst.modules_by_package[package], libraries.modules_by_package.get(package, 0)
        if not modules_alone:
            why = "not imported by the libraries alone"
        elif modules == modules_alone:
            why = f"as many modules, {modules}, as in the libraries alone, slower"
        else:
            why = f"{modules} modules against {modules_alone}"
        extra.append(f"{package} +{more:.1f} ({why})")
    if extra:
        text += f" Own import time beyond the libraries alone, ms: {'; '.join(extra)}."
    text += (
        " So: find what pulls in each of these (`python -X importtime` on that handler) and defer or drop it, and "
        "find why a package imported alike takes longer under the handler; then measure again."
    )
    return text
