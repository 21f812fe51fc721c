"""docs/benchmarks.md, written from bench/results.json and bench/measurements.json."""

from __future__ import annotations

from typing import Any

from bench.cases import BEHAVIOURS, DESIRED_COUNTS, HORIZON_SECONDS, SYSTEMS
from bench.goals import MAX_IMPORT_RATIO
from pushdeploy.verdict import POLL_SECONDS

PLOT = "benchmarks-restore.svg"
SHORT = {"pushdeploy": "pushdeploy", "circuit_breaker": "circuit breaker", "waiter": "waiter", "poll_1s": "poll 1 s"}
SPEC = "Phase 4 service: health check every 30 s, healthy 2, unhealthy 3, grace 60 s, deregistration 30 s"


def _n(value: Any, unit: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        value = round(value, 3)
    return f"{value:g}{unit}" if isinstance(value, int | float) else str(value)


def _row(rows: list[dict[str, Any]], scenario: str, count: int, system: str) -> dict[str, Any]:
    return next(r for r in rows if (r["scenario"], r["desired_count"], r["system"]) == (scenario, count, system))


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(cells) + " |" for cells in body]


def _by_case(rows: list[dict[str, Any]], cell: Any, scenarios: list[str] | None = None) -> list[str]:
    body = []
    for scenario in scenarios or list(BEHAVIOURS):
        for count in DESIRED_COUNTS:
            body.append([scenario, str(count), *(cell(_row(rows, scenario, count, s)) for s in SYSTEMS)])
    return _table(["scenario", "desired", *(SHORT[s] for s in SYSTEMS)], body)


def _verdict_cell(row: dict[str, Any]) -> str:
    if row["verdict_s"] is None:
        return "never"
    said = {"success": "ok", "failure": "failed", "timeout": "timed out"}.get(row["outcome"], row["outcome"])
    text = f"{_n(row['verdict_s'])} {said}"
    return f"**{text} (wrong)**" if row["verdict_correct"] is False else text


def _restore_cell(row: dict[str, Any]) -> str:
    if row["restore_s"] is None:
        return f"never (>{HORIZON_SECONDS:g})" if row["evidence_s"] is not None else "—"
    by = " (ECS)" if row["rolled_back_by"] == "ecs" else ""
    return f"{_n(row['restore_s'])}{by}"


def render(rows: list[dict[str, Any]], m: dict[str, Any]) -> str:
    bad = [s for s in BEHAVIOURS if s != "healthy"]
    out: list[str] = [
        "# Benchmarks",
        "",
        "pushdeploy and three alternatives, on the same scenarios and the same ECS/ALB model, on the local "
        "cloud's virtual clock. Written by `make bench` (`python -m bench`, about "
        f"{m['wall_seconds'] / 60:.0f} min on {m['jobs']} processes) from `bench/results.json` (one row per "
        "scenario, desired count and system) and `bench/measurements.json` (everything else); edit "
        "`bench/render.py`, not this file. "
        f"Measured on commit {m.get('source', {}).get('commit', '?')}"
        + (
            f" with {len(m['source']['uncommitted'])} files changed but not committed (the bench measures the "
            "working tree)."
            if m.get("source", {}).get("uncommitted")
            else "."
        ),
        "",
        "## Goals (issue 7)",
        "",
    ]
    body = []
    for goal in m["goals"]:
        status = {True: "met", False: "**missed**", None: "not measured"}[goal["met"]]
        misses = f" Missed: {'; '.join(goal['misses'])}." if goal["misses"] else ""
        body.append([goal["goal"], status, goal["detail"] + "." + misses])
    out += _table(["goal", "status", "measured"], body)
    out += ["", "Recommended design changes for the missed goals are at the end.", ""]

    out += [
        "## How it is measured",
        "",
        "Every run is one fresh local cloud (moto, the ECS/ALB model of `localcloud/pushdeploy_local/ecs_model.py`, "
        f"the virtual clock) holding the {SPEC}, with the deployment circuit breaker and its rollback on "
        "(the template's setting). At 0 s a new image `v2` is pushed; it behaves as the scenario says "
        "(scenarios.md defaults: `crash_on_start` exits 1 five seconds after RUNNING; `alb_unhealthy` answers "
        "the ALB health check with 502; `pull_error` fails its pull after 20 s; `late_crash` exits 120 s after "
        f"RUNNING). The world is then watched for {HORIZON_SECONDS:g} virtual seconds, whatever the system does.",
        "",
        "- **pushdeploy**: `pushdeploy_local.runner.run` unchanged (the ECR event, the real state machine and "
        "handlers), on a subclass of `LocalCloud` that only records (`bench/observe.py`).",
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
        "- **first failure evidence**: the first task of the new image that ECS stops for a failure "
        "(`stoppingAt`), or the first of its targets `unhealthy`, whichever is first.",
        "- **detect**: from the first failure evidence to the rollback's UpdateService: the system's own, or "
        "ECS's circuit-breaker rollback when that came first (marked *ECS*).",
        "- **restore**: when the previous task definition is the only deployment again, COMPLETED, with "
        "desiredCount tasks running and every target healthy. Note that with minimumHealthyPercent 100 the old "
        "tasks keep serving while a new image fails to start, so for crash, unhealthy and pull-error images "
        "this is when the service is clean again, not the end of an outage; for a late crash the old tasks are "
        "gone and the outage lasts until the restore.",
        "- **cost**: billed state transitions (entered states plus Lambda retries), Lambda requests and "
        "GB-seconds (the handlers' real in-process durations, 256 MB, arm64), priced as in aws-facts.md "
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
        "`api_calls_by_operation`. null is a figure the system has no notion of (a baseline's transitions, a "
        f"healthy image's restore) or a moment that did not come within the {HORIZON_SECONDS:g} s watched "
        "(`evidence_s` and `outcome` tell which).",
        "",
        "## Restore: previous version alone and healthy again (s after push)",
        "",
        f"![restore time by scenario and system]({PLOT})",
        "",
    ]
    out += _by_case(rows, _restore_cell, bad)
    out += ["", "## Verdict (s after push, and what the system said)", ""]
    out += _by_case(rows, _verdict_cell)
    out += [
        "",
        "## Detect: first failure evidence to the rollback's UpdateService "
        f"(s; pushdeploy polls every {POLL_SECONDS} s)",
        "",
    ]

    def detect(row: dict[str, Any]) -> str:
        if row["detect_s"] is None:
            return "no rollback" if row["evidence_s"] is not None else "—"
        return f"{_n(row['detect_s'])}{' (ECS)' if row['rolled_back_by'] == 'ecs' else ''}"

    out += _by_case(rows, detect, bad)
    evidence = [[s, *(_n(_row(rows, s, n, "pushdeploy")["evidence_s"]) for n in DESIRED_COUNTS)] for s in bad]
    out += ["", "First failure evidence (s after push), the same for every system:", ""]
    out += _table(["scenario", *(f"desired {n}" for n in DESIRED_COUNTS)], evidence)

    out += ["", "## Cost per deployment (pushdeploy)", ""]
    body = []
    for scenario in BEHAVIOURS:
        for count in DESIRED_COUNTS:
            r = _row(rows, scenario, count, "pushdeploy")
            body.append(
                [
                    scenario,
                    str(count),
                    r["outcome"] or "—",
                    _n(r["transitions"]),
                    _n(r["lambda_invocations"]),
                    _n(r["lambda_gb_seconds"]),
                    f"${_n(r['usd_per_1000'])}",
                ]
            )
    out += _table(["scenario", "desired", "outcome", "transitions", "Lambda invocations", "GB-s", "$ / 1,000"], body)
    out += [
        "",
        "Transitions dominate: each poll is three (Wait, Check, Choice) at $0.025 per 1,000; Lambda adds "
        "cents per thousand deployments.",
        "",
        "## AWS API calls",
        "",
        "Total calls per deployment (calls per probe):",
        "",
    ]
    out += _by_case(
        rows,
        lambda r: (
            f"{r['api_calls']} ({_n(r['api_calls_per_probe'])})" if r["api_calls_per_probe"] else str(r["api_calls"])
        ),
    )
    sample = "crash_on_start", 3
    operations = sorted({op for s in SYSTEMS for op in _row(rows, *sample, s)["api_calls_by_operation"]})
    body = [[op, *(_n(_row(rows, *sample, s)["api_calls_by_operation"].get(op)) for s in SYSTEMS)] for op in operations]
    out += ["", f"By operation, {sample[0]} with desired {sample[1]}:", ""]
    out += _table(["operation", *(SHORT[s] for s in SYSTEMS)], body)
    out += _fanout(m.get("fanout"))
    out += _imports(m.get("imports"), m.get("source"))
    out += _artifacts(m.get("artifacts"), m.get("source"))
    out += _what_if(m.get("what_if", []))
    out += _recommendations(rows, m)
    out += [
        "",
        "## Not measured, and limits of the model",
        "",
        "- Real AWS timings: the ECS scheduler's replacement delay (15 s), Fargate provisioning (5 s) and "
        "target registration (10 s) are the model's modelling choices; Lambda cold starts and Step Functions "
        "latency take no virtual time, so real verdicts come a few seconds later than here.",
        "- The circuit breaker's throttling of repeated start failures is not modelled; nor are ECS "
        "deployment alarms, blue/green, or the Step Functions / Lambda free tiers.",
        "- GB-seconds come from in-process handler durations on this machine, an estimate; import times are "
        "this machine's (Python "
        f"{(m.get('imports') or {}).get('python', '?')}, x86_64, bytecode cached), not Lambda's arm64. Lambda "
        "mounts the layer read-only at /opt and `sam build` puts no bytecode (`.pyc`) in it, so there every cold "
        "start compiles what it imports from the layer, which these figures leave out.",
        "- The fan-out run deploys 50 healthy services; a fan-out where some fail adds Rollback and Check calls.",
        "",
    ]
    return "\n".join(out)


def _fanout(f: dict[str, Any] | None) -> list[str]:
    if not f:
        return ["", "The 50-service push was not measured.", ""]
    outcomes = ", ".join(f"{n} {o}" for o, n in f["outcomes"].items())
    out = [
        "",
        f"### One push that feeds {f['services']} services",
        "",
        f"A healthy push to {f['services']} services (desired 1 each): outcomes {outcomes}, verdicts from "
        f"{_n(f['first_verdict_s'])} s to {_n(f['last_verdict_s'])} s, execution finished at "
        f"{_n(f['finished_s'])} s (the Map runs 10 services at a time), {f['transitions']} transitions "
        f"(${f['usd']:.4f}), {f['api_calls']} API calls. Each call's virtual time is replayed against the "
        "throttling token buckets of aws-facts.md (each row of its table as one bucket shared by its APIs; "
        "the bucket starts full). On the virtual clock the ten parallel iterations call at the same instant, "
        "so this is the worst case of their alignment.",
        "",
    ]
    body = [
        [
            b["bucket"],
            str(b["calls"]),
            str(b["peak_per_second"]),
            f"{b['burst']} / {b['sustained_per_second']:g}",
            _n(b["fewest_tokens_left"]),
            str(b["throttled"]),
        ]
        for b in f["limits"]["buckets"]
    ]
    out += _table(
        ["bucket (aws-facts.md)", "calls", "peak / 1 s", "burst / sustained per s", "fewest tokens left", "throttled"],
        body,
    )
    unlisted = ", ".join(f"{k} {v}" for k, v in f["limits"]["no_limit_listed"].items())
    out += ["", f"Calls with no limit in aws-facts.md: {unlisted}.", ""]
    return out


def _remeasured(part: dict[str, Any], source: dict[str, Any] | None) -> str:
    """A part measured again on its own (not by a whole `make bench`) says on what."""
    own = part.get("source")
    if not own or own == source:
        return ""
    changed = f", with {len(own['uncommitted'])} files changed but not committed" if own["uncommitted"] else ""
    return f" Measured again on its own, on commit {own['commit']}{changed}."


def _imports(i: dict[str, Any] | None, source: dict[str, Any] | None = None) -> list[str]:
    if not i:
        return ["", "## Cold imports", "", "Not measured.", ""]
    libraries = i["baselines"]["libraries"]
    out = [
        "",
        "## Cold imports",
        "",
        "Each handler imported the way Lambda imports it, on this machine: the CoreLayer's dependencies (the pins "
        f"of `layers/core/requirements.txt`: {', '.join(f'`{r}`' for r in i['layer_requirements'])}) installed "
        "for this host with `pip install --target` (`sam build` makes the layer of arm64 wheels, which cannot run "
        "here), then `layers/core`, on `PYTHONPATH`: together what Lambda has in /opt/python. The interpreter is "
        f"the base Python {i['python']} (no virtualenv, no user site-packages), run from the function's directory "
        "(Lambda's /var/task) with the function's environment and the Lambda runtime's variables set. "
        f"`python -X importtime -c 'import app'`, median of {i['repeats']} fresh processes (after one unmeasured "
        "round that writes the bytecode caches), interleaved with `import boto3` alone run the same way: "
        f"**{i['boto3_median_ms']:g} ms**, and with the libraries every handler imports and nothing of pushdeploy "
        f"({'; '.join(f'`{line}`' for line in libraries['imports'])}). These are wall-clock times: the machine's "
        f"1-minute load average was {' then '.join(str(x) for x in i.get('load_average_1min', []))} while they "
        "ran, which inflates them, boto3's too, though not alike." + _remeasured(i, source),
        "",
        "Every pushdeploy model derives from `pushdeploy.models.Model`, whose `defer_build=True` builds a model's "
        "validator when it is first used rather than at import. To show what that moves out of the import, each "
        "process then builds every model the handler imported (`model_rebuild()` on each subclass of `Model` "
        "not yet complete, all checked complete afterwards) and times it: the *deferred build*. A step builds "
        "only the models it uses, so import plus deferred build is an upper bound of what its first invocation "
        "adds.",
        "",
    ]

    def packages(x: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v:g}" for k, v in list(x["import_ms_by_package"].items())[:5])

    body = [
        [label, _n(x["median_ms"]), f"{x['ratio_to_boto3']:g}x", "—", "—", packages(x)]
        for label, x in (("`import boto3` alone", i["baselines"]["boto3"]), ("the libraries alone", libraries))
    ]
    body += [
        [
            name,
            _n(h["median_ms"]),
            f"{h['ratio_to_boto3']:g}x",
            f"{h['deferred_build_ms']:g} ({h['models_built']} models)",
            f"{h['ratio_with_models_built']:g}x",
            packages(h),
        ]
        for name, h in i["handlers"].items()
    ]
    out += _table(
        ["import", "ms", "vs boto3", "deferred build ms", "import + build vs boto3", "largest own times (ms)"], body
    )
    out += [
        "",
        "Own time: a module's import less that of the modules it imports, summed by top-level package (the "
        "standard library as one; `app` is the handler's own module). `bench/measurements.json` has every "
        "package's and how many of its modules each process imported.",
    ]
    return out


def _artifacts(a: dict[str, Any] | None, source: dict[str, Any] | None = None) -> list[str]:
    out = ["", "## `sam build` artifacts", ""]
    if not a or "artifacts" not in a:
        return [*out, f"Not measured: {(a or {}).get('error', 'skipped')}.", ""]
    out += [
        "`sam build` (SAM CLI from `scripts/check-template.sh --sam-path`, Python 3.12 on PATH, arm64) into "
        "the bench's own build directory; size on disk and as a deflated zip." + _remeasured(a, source),
        "",
    ]
    body = [
        [
            name,
            str(x["files"]),
            f"{x['bytes'] / 1e6:.2f} MB" if x["bytes"] > 1e5 else f"{x['bytes']} B",
            f"{x['zipped_bytes'] / 1e6:.2f} MB" if x["zipped_bytes"] > 1e5 else f"{x['zipped_bytes']} B",
            ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in x["largest_packages"].items()),
        ]
        for name, x in a["artifacts"].items()
    ]
    out += _table(["artifact", "files", "unzipped", "zipped", "largest packages"], body)
    return out


def _what_if(rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    out = [
        "",
        "## What if: a bake time",
        "",
        "pushdeploy with the targets' `policy.bake_seconds` set (an existing setting; the default is 0), on "
        "the late crash it misses and on a healthy deploy, to price the change recommended below:",
        "",
    ]
    body = [
        [
            r["scenario"],
            str(r["desired_count"]),
            str(r["bake_seconds"]),
            r["outcome"] or "—",
            _n(r["verdict_s"]),
            _n(r["restore_s"]),
            _n(r["transitions"]),
            f"${_n(r['usd_per_1000'])}",
        ]
        for r in rows
    ]
    return out + _table(
        ["scenario", "desired", "bake s", "outcome", "verdict s", "restore s", "transitions", "$ / 1,000"], body
    )


def _goal(m: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(g for g in m["goals"] if g["goal"].startswith(prefix))


def _recommendations(rows: list[dict[str, Any]], m: dict[str, Any]) -> list[str]:
    out = ["", "## Recommended design changes", ""]
    if not [g for g in m["goals"] if g["met"] is False]:
        return [*out, "Every goal is met.", ""]
    if _goal(m, "A verdict within")["misses"]:
        out.append(_late_crash(rows, m))
    if _goal(m, "At most")["met"] is False:
        out += _calls(rows, m)
    if _goal(m, "Each handler")["met"] is False:
        out.append(_lighter_imports(m["imports"], met=False))
    elif m.get("imports"):
        out.append(_lighter_imports(m["imports"], met=True))
    artifacts = (m.get("artifacts") or {}).get("artifacts", {})
    layer = next((x for name, x in artifacts.items() if name.endswith("Layer")), None)
    if layer and "botocore" in layer["largest_packages"]:
        out.append(
            f"- **The layer ships botocore ({layer['largest_packages']['botocore'] / 1e6:.0f} MB of "
            f"{layer['bytes'] / 1e6:.0f} MB)** because `layers/core/requirements.txt` pins boto3, so that the "
            "functions run on the SDK the tests ran on, and boto3 brings its botocore. On Lambda the layer comes "
            "before the runtime on sys.path, so the layer's pair is used and the runtime's own boto3 and botocore "
            "lie unused. Leaving boto3 out of the layer would save that size and take whatever SDK the runtime "
            "ships; the import goal would not move, since it is measured against `import boto3` from the same "
            "place as the handlers'."
        )
    return out


def _late_crash(rows: list[dict[str, Any]], m: dict[str, Any]) -> str:
    healthy, late = _row(rows, "healthy", 1, "pushdeploy"), _row(rows, "late_crash", 1, "pushdeploy")
    baked_late = next((r for r in m.get("what_if", []) if r["scenario"] == "late_crash"), None)
    baked_healthy = next((r for r in m.get("what_if", []) if r["scenario"] == "healthy"), None)
    text = (
        f"- **Late crash: keep watching after HEALTHY.** With `bake_seconds` 0 (the default), pushdeploy calls the "
        f"late-crash image healthy at {_n(late['verdict_s'])} s; its first task exits at {_n(late['evidence_s'])} s "
        "and nothing rolls it back (no baseline does either: ECS's circuit breaker does not count tasks that ran "
        "and passed their checks, aws-facts.md)."
    )
    if baked_late and baked_healthy:
        text += (
            f" A bake of {baked_late['bake_seconds']} s catches it (verdict {_n(baked_late['verdict_s'])} s, "
            f"previous version back at {_n(baked_late['restore_s'])} s) and costs a healthy deploy a verdict at "
            f"{_n(baked_healthy['verdict_s'])} s instead of {_n(healthy['verdict_s'])} s and "
            f"{_n(baked_healthy['transitions'])} transitions instead of {_n(healthy['transitions'])}"
        )
        text += " (over the goal of 40)." if (baked_healthy["transitions"] or 0) > 40 else "."
    text += (
        " So: a default bake of a few minutes, spent in one Wait (today the bake is polled in waits of at most "
        "`MAX_WAIT_SECONDS` = 60 s, three transitions each), ended early by an EventBridge `ECS Task State "
        "Change` (STOPPED, our deployment) instead of polls; then a healthy deploy costs about 3 transitions more "
        "than now, not one poll per minute."
    )
    return text


def _calls(rows: list[dict[str, Any]], m: dict[str, Any]) -> list[str]:
    out = []
    pushdeploy = [r for r in rows if r["system"] == "pushdeploy" and r["api_calls_per_probe"]]
    worst = max(pushdeploy, key=lambda r: r["api_calls_per_probe"])
    if worst["api_calls_per_probe"] > 3:
        probe = ", ".join(f"{op} {n:g}" for op, n in worst.get("calls_per_probe_by_operation", {}).items())
        out.append(
            f"- **Fewer calls per probe ({worst['api_calls_per_probe']:g}, goal 3).** A probe now makes: {probe}. "
            "Record the target group's targets and the task ARNs already described in the rollout, so that a probe "
            "is DescribeServices + ListTasks(desiredStatus=STOPPED, startedBy=deployment) + DescribeTargetHealth, "
            "with DescribeTasks only for a newly stopped or newly running task."
        )
    fan = m.get("fanout") or {}
    for bucket in (fan.get("limits") or {}).get("buckets", []):
        if not bucket["throttled"]:
            continue
        callers = ", ".join(f"{k} {v}" for k, v in bucket["busiest_second_by_caller"].items())
        out.append(
            f"- **The 50-service push overdraws {bucket['bucket']}** ({bucket['calls']} calls, "
            f"{bucket['peak_per_second']} within one second at {_n(bucket['busiest_second_at'])} s against a burst "
            f"of {bucket['burst']}; {bucket['throttled']} calls over). In that second: {callers}. Plan reads every "
            "target at once, one service per DescribeServices and one DescribeTaskDefinition each, before the Map "
            "(10 at a time) even starts. DescribeServices takes 10 services per call, and Register reads the task "
            "definition anyway: batch Plan's DescribeServices by 10 and leave the task definition (the "
            "container check and the already-running check) to Register, which runs 10 at a time. The burst "
            "at 0 s then falls to about 5 + 20 DescribeServices and 20 DescribeTaskDefinition. Plan's Throttled "
            "retry (2 s, then 4 s, jittered) would probably get through today, but it re-reads all 50 targets "
            "each time, and ECS's buckets are shared with every other client of the account (aws-facts.md)."
        )
    return out


def _lighter_imports(imports: dict[str, Any], met: bool) -> str:
    handlers = imports["handlers"]
    ratios = [h["ratio_to_boto3"] for h in handlers.values()]
    built = [h["ratio_with_models_built"] for h in handlers.values()]
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
    boto3_ms = imports["boto3_median_ms"]
    budget = MAX_IMPORT_RATIO * boto3_ms
    worst_name, worst = max(handlers.items(), key=lambda item: item[1]["median_ms"])
    libraries = imports["baselines"]["libraries"]
    text = (
        f"- **Lighter imports ({span}; goal {MAX_IMPORT_RATIO:g}x).** {done} Still, the slowest, {worst_name}, "
        f"imports in {worst['median_ms']:g} ms, {worst['median_ms'] - budget:.0f} ms over the goal's "
        f"{budget:.0f} ms. The libraries alone (boto3, pydantic's `BaseModel`, Powertools' `Logger`) take "
        f"{libraries['median_ms']:g} ms ({libraries['ratio_to_boto3']:g}x), "
    )
    if libraries["median_ms"] >= budget:
        return text + (
            "already over the goal: no change to pushdeploy's own code can meet it with these libraries. Drop "
            "one of them, or restate the goal against that floor."
        )
    text += (
        f"which leaves {budget - libraries['median_ms']:.0f} ms for what pushdeploy's code adds; it adds "
        f"{worst['median_ms'] - libraries['median_ms']:.0f} ms."
    )
    extra = []
    alone = libraries["import_ms_by_package"]
    grown = sorted(worst["import_ms_by_package"], key=lambda p: alone.get(p, 0) - worst["import_ms_by_package"][p])
    for package in grown:
        more = worst["import_ms_by_package"][package] - alone.get(package, 0)
        if more < 2:
            continue
        modules, modules_alone = worst["modules_by_package"][package], libraries["modules_by_package"].get(package, 0)
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
