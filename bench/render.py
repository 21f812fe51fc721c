"""docs/benchmarks.md, written from bench/results.json and bench/measurements.json."""

from __future__ import annotations

from typing import Any

from bench.cases import BEHAVIOURS, DESIRED_COUNTS, HORIZON_SECONDS, SYSTEMS
from bench.goals import MAX_IMPORT_RATIO, find_off
from pushdeploy.verdict import POLL_SECONDS
from pushdeploy_local.report import USD_PER_TRANSITION

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
    missed = any(goal["met"] is False for goal in m["goals"])
    out += ["", "Recommended design changes for the missed goals are at the end.", ""] if missed else [""]

    out += [
        "## How it is measured",
        "",
        "Every run is one fresh local cloud (moto, the ECS/ALB model of `localcloud/pushdeploy_local/ecs/`, "
        f"the virtual clock) holding the {SPEC}, with the deployment circuit breaker and its rollback on "
        "(the template's setting). At 0 s a new image `v2` is pushed; it behaves as the scenario says "
        "(scenarios.md defaults: `crash_on_start` exits 1 five seconds after RUNNING; `alb_unhealthy` answers "
        "the ALB health check with 502; `pull_error` fails its pull after 20 s; `late_crash` exits 120 s after "
        f"RUNNING). The world is then watched for {HORIZON_SECONDS:g} virtual seconds, whatever the system does.",
        "",
        "- **pushdeploy**: `pushdeploy_local.runner.run` unchanged (the ECR event, the real state machine and "
        "handlers), on a subclass of `LocalCloud` that only records (`bench/observe.py`), with the targets' "
        f"default policy: after a healthy verdict the deploy is watched for `watch_seconds` ({_watch_seconds(rows)} "
        "s) on a task token, without polling. The ECS model's `ECS Task State Change` events go through the "
        "template's EventBridge rule `TaskStoppedRule` to the Wake function, as on AWS. That rule matches every "
        "stopped task of the account and Region (it names no cluster or service), so Wake runs once per stopped "
        "task, whether a deploy is watched or not: for each old task a rollout replaces, for each failing new "
        "task, and for each turn of a crash loop that a bad image left in place keeps causing.",
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
                    _n(len(r.get("wake_at_s", []))),
                    _n(r["lambda_gb_seconds"]),
                    f"${_n(r['usd_per_1000'])}",
                ]
            )
    out += _table(
        ["scenario", "desired", "outcome", "transitions", "Lambda invocations", "of them Wake", "GB-s", "$ / 1,000"],
        body,
    )
    out += ["", _transitions_dominate(rows, m.get("watch_off") or [])]
    out += _watch(rows, m.get("watch_off") or [])
    out += [
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
        f"{(m.get('imports') or {}).get('python', '?')}, x86_64, bytecode cached), not Lambda's arm64. "
        + _layer_bytecode(m.get("artifacts")),
        "- EventBridge delivers ECS's events best effort and within seconds; the local cloud delivers every one "
        "at the instant of the change. A watched failure is decided here at the instant its task stops; on AWS, "
        "a few seconds later, and a lost event leaves it to the Check that closes the watch.",
        "- The fan-out run deploys 50 healthy services; a fan-out where some fail adds Rollback and Check calls.",
        "",
    ]
    return "\n".join(out)


def _watch_seconds(rows: list[dict[str, Any]]) -> str:
    found = sorted({r["policy"]["watch_seconds"] for r in rows if r["system"] == "pushdeploy" and r.get("policy")})
    return " or ".join(str(w) for w in found) or "?"


def _lambda_usd_per_1000(row: dict[str, Any]) -> float:
    return row["usd_per_1000"] - row["transitions"] * USD_PER_TRANSITION * 1000


def _transitions_dominate(rows: list[dict[str, Any]], watch_off: list[dict[str, Any]]) -> str:
    ours = [r for r in rows if r["system"] == "pushdeploy" and r["transitions"] is not None]
    lambda_usd = max(_lambda_usd_per_1000(r) for r in ours)
    text = f"Transitions dominate: each poll is three (Wait, Check, Choice) at ${USD_PER_TRANSITION * 1000:g} per 1,000"
    healthy, off = _row(rows, "healthy", 1, "pushdeploy"), find_off(watch_off, "healthy", 1)
    if off is not None:
        text += (
            f", and the watch after a healthy verdict adds {healthy['transitions'] - off['transitions']} "
            f"({healthy['transitions']} against {off['transitions']} with it off) however long it lasts, since it "
            "waits in one state"
        )
    # usd_per_1000 is rounded to 0.001 $, so this share is good to about that
    return text + f"; Lambda adds about ${lambda_usd:.3f} per 1,000 deployments at most."


def _watch(rows: list[dict[str, Any]], watch_off: list[dict[str, Any]]) -> list[str]:
    out = ["", "## What the watch costs and catches", ""]
    if not watch_off:
        return [*out, "pushdeploy with its watch off was not measured.", ""]
    pairs = [(_row(rows, o["scenario"], o["desired_count"], "pushdeploy"), o) for o in watch_off]
    out += [
        f"pushdeploy as deployed (`watch_seconds` {_watch_seconds(rows)}) beside the same runs with "
        "`watch_seconds: 0` (the watch off, the deploy done at its first healthy verdict), on the late crash "
        f"the watch is for and on a healthy deploy. Every run is watched for {HORIZON_SECONDS:g} s; the costs "
        "count every invocation within them (Wake's in brackets).",
        "",
    ]
    body = []
    for pair in pairs:
        for r in pair:
            invocations = f"{_n(r['lambda_invocations'])} ({len(r.get('wake_at_s', []))})"
            body.append(
                [
                    r["scenario"],
                    str(r["desired_count"]),
                    str(r["policy"]["watch_seconds"]),
                    r["outcome"] or "—",
                    _n(r["verdict_s"]),
                    _restore_cell(r),
                    _n(r["transitions"]),
                    invocations,
                    f"${_n(r['usd_per_1000'])}",
                    _n(r["client_busy_s"]),
                ]
            )
    out += _table(
        [
            "scenario",
            "desired",
            "watch s",
            "outcome",
            "verdict s",
            "restore s",
            "transitions",
            "Lambda invocations (Wake)",
            "$ / 1,000",
            "execution ends s",
        ],
        body,
    )
    out += ["", *_watch_catches(pairs), ""]
    return out


def _watch_catches(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[str]:
    said: list[str] = []
    late: dict[tuple[Any, ...], list[int]] = {}
    for on, off in pairs:
        if on["scenario"] == "healthy":
            continue
        key = (
            on["scenario"],
            on["outcome"],
            on["verdict_s"],
            on["evidence_s"],
            on["restore_s"],
            off["outcome"],
            off["verdict_s"],
            off["restore_s"],
        )
        late.setdefault(key, []).append(on["desired_count"])
    for (scenario, outcome, verdict, evidence, restore, off_outcome, off_verdict, off_restore), counts in late.items():
        which = f"{scenario.replace('_', ' ')} ({', '.join(f'x{n}' for n in counts)})"
        unwatched = f"with the watch off it is `{off_outcome}` at {_n(off_verdict)} s and the previous version is " + (
            f"back at {_n(off_restore)} s" if off_restore is not None else f"not back within {HORIZON_SECONDS:g} s"
        )
        if outcome == "failure" and verdict is not None and evidence is not None:
            back = f"back at {_n(restore)} s" if restore is not None else f"not back within {HORIZON_SECONDS:g} s"
            said.append(
                f"**What it catches.** The {which}: with the watch, its first task stops at {_n(evidence)} s and the "
                f"verdict `failure` comes at {_n(verdict)} s ({_n(verdict - evidence)} s later), the previous "
                f"version {back}; {unwatched}."
            )
        else:
            said.append(
                f"**What it misses.** The {which}: with the watch the verdict is `{outcome}` at {_n(verdict)} s "
                f"(first evidence at {_n(evidence)} s); {unwatched}."
            )
    healthy = next(((on, off) for on, off in pairs if on["scenario"] == "healthy"), None)
    if healthy is not None:
        on, off = healthy
        added = {
            name: on["lambda_invocations_by_function"].get(name, 0) - off["lambda_invocations_by_function"].get(name, 0)
            for name in sorted(set(on["lambda_invocations_by_function"]) | set(off["lambda_invocations_by_function"]))
        }
        by = ", ".join(f"{name.removesuffix('Function')} {n:+d}" for name, n in added.items() if n)
        longer = on["client_busy_s"] - off["client_busy_s"]
        lock = ""
        if on.get("lock_released_s") is not None and off.get("lock_released_s") is not None:
            lock = (
                f"; the service's lock is held until {_n(on['lock_released_s'])} s instead of "
                f"{_n(off['lock_released_s'])} s (a newer push for the service ends the watch rather than wait "
                "for it)"
            )
        said.append(
            f"**What it adds to a healthy deploy** (x{on['desired_count']}): {on['transitions'] - off['transitions']} "
            f"transitions ({on['transitions']} against {off['transitions']}), "
            f"{on['lambda_invocations'] - off['lambda_invocations']} Lambda invocations ({by or 'none'}), "
            f"${on['usd_per_1000'] - off['usd_per_1000']:.3f} per 1,000 deployments (the transitions "
            f"${(on['transitions'] - off['transitions']) * USD_PER_TRANSITION * 1000:.3f}, the rest Lambda's: "
            f"{_n(on['lambda_gb_seconds'])} against {_n(off['lambda_gb_seconds'])} GB-s, in-process durations on this "
            "machine that vary from run to run); "
            + (
                f"the verdict comes at the same {_n(on['verdict_s'])} s"
                if on["verdict_s"] == off["verdict_s"]
                else f"the verdict comes at {_n(on['verdict_s'])} s instead of {_n(off['verdict_s'])} s"
            )
            + f", but the execution runs until {_n(on['client_busy_s'])} s instead of {_n(off['client_busy_s'])} s "
            f"({_n(longer)} s longer){lock}."
        )
    said += _wake_after_the_execution(pairs)
    return [text for line in said for text in (line, "")][:-1]


def _wake_after_the_execution(pairs: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[str]:
    """Wake invocations that came after the execution had ended: the rule's cost of a crash loop left in place."""
    after: dict[tuple[Any, ...], list[int]] = {}
    for r in (r for pair in pairs for r in pair if r["client_busy_s"] is not None):
        late = sum(1 for at in r.get("wake_at_s", []) if at > r["client_busy_s"])
        if late:
            key = (r["scenario"], r["policy"]["watch_seconds"], len(r["wake_at_s"]), late, r["client_busy_s"])
            after.setdefault(key, []).append(r["desired_count"])
    if not after:
        return []
    runs = "; ".join(
        f"{scenario} {', '.join(f'x{n}' for n in counts)} with `watch_seconds` {watch}: {total} Wake invocations, "
        f"{late} of them after the execution ended at {_n(ended)} s"
        for (scenario, watch, total, late, ended), counts in after.items()
    )
    return [
        "**Wake after the deploy.** Wake runs for every stopped task, so a bad image left in place that keeps "
        f"crashing invokes it at each turn of its crash loop, long after the execution: {runs}. Those runs' "
        f"Lambda counts (and their $ / 1,000) therefore grow with the {HORIZON_SECONDS:g} s watched."
    ]


def _layer_bytecode(artifacts: dict[str, Any] | None) -> str:
    built = (artifacts or {}).get("artifacts", {})
    layer = next((x for name, x in built.items() if name.endswith("Layer")), None)
    if layer is None or "bytecode_files" not in layer:
        return (
            "Whether the built layer carries its bytecode (`.pyc`) was not measured: Lambda mounts the layer "
            "read-only at /opt, so without it every cold start compiles what it imports from the layer, which "
            "these figures leave out."
        )
    if layer["bytecode_files"]:
        return (
            f"The built layer carries its bytecode ({layer['bytecode_files']} `.pyc` files, compiled ahead by "
            "`layers/core/Makefile`), so a cold start on Lambda, which mounts the layer read-only at /opt, reads "
            "bytecode as these measurements do."
        )
    return (
        "The built layer carries no bytecode (`.pyc`) and Lambda mounts it read-only at /opt, so there every cold "
        "start compiles what it imports from the layer, which these figures leave out."
    )


def _fanout(f: dict[str, Any] | None) -> list[str]:
    if not f:
        return ["", "The 50-service push was not measured.", ""]
    outcomes = ", ".join(f"{n} {o}" for o, n in f["outcomes"].items())
    out = [
        "",
        f"### One push that feeds {f['services']} services",
        "",
        f"A healthy push to {f['services']} services (desired 1 each): outcomes {outcomes}, verdicts from "
        f"{_n(f['first_verdict_s'])} s to {_n(f['last_verdict_s'])} s{_waves(f)}, execution finished at "
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


def _waves(f: dict[str, Any]) -> str:
    """The fan-out's verdicts grouped by the second they came at, when they come in groups."""
    waves = f.get("verdicts_by_second") or {}
    if len(waves) < 2 or len(waves) * 2 > f["services"]:
        return ""
    text = f" ({', '.join(f'{n} at {at} s' for at, n in waves.items())}"
    if f.get("watch_seconds"):
        text += (
            f": a service keeps its place in the Map through its {f['watch_seconds']} s watch after the verdict, "
            "so the next one starts only when that watch ends"
        )
    return text + ")"


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


def _goal(m: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(g for g in m["goals"] if g["goal"].startswith(prefix))


def _recommendations(rows: list[dict[str, Any]], m: dict[str, Any]) -> list[str]:
    out = ["", "## Recommended design changes", ""]
    if not [g for g in m["goals"] if g["met"] is False]:
        return [*out, "Every goal is met.", ""]
    if _goal(m, "A verdict within")["met"] is False:
        out.append(_verdict_missed(rows, _goal(m, "A verdict within")))
    for prefix in ("Crash on start", "A healthy deploy"):
        goal = _goal(m, prefix)
        if goal["met"] is False:
            out.append(f"- **{goal['goal']}: missed** ({'; '.join(goal['misses'])}). {goal['detail']}.")
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


def _verdict_missed(rows: list[dict[str, Any]], goal: dict[str, Any]) -> str:
    """The runs whose verdict came later than a poll after the evidence, or never, and what was watching them."""
    why = []
    for row in rows:
        if row["system"] != "pushdeploy" or row["evidence_s"] is None:
            continue
        gap = row["verdict_after_evidence_s"]
        if row["outcome"] == "failure" and gap is not None and 0 <= gap <= POLL_SECONDS:
            continue
        name, watch = f"{row['scenario']} x{row['desired_count']}", (row.get("policy") or {}).get("watch_seconds")
        ended = row["client_busy_s"]
        if row["outcome"] == "success" and ended is not None and row["evidence_s"] > ended:
            why.append(
                f"{name}: its first failure at {_n(row['evidence_s'])} s came after the execution had ended at "
                f"{_n(ended)} s (`watch_seconds` {watch})"
            )
        else:
            why.append(f"{name}: `{row['outcome']}` at {_n(row['verdict_s'])} s ({row['reason']})")
    return (
        f"- **Verdicts more than a poll ({POLL_SECONDS} s) after the first failure evidence, or wrong: "
        f"{len(goal['misses'])} runs.** {'; '.join(why)}."
    )


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
