"""The "Not measured, and limits of the model" section, which closes the document."""

from __future__ import annotations

from bench.measurements import Artifacts, ArtifactsError, Measurements


def section(m: Measurements) -> list[str]:
    return [
        "",
        "## Not measured, and limits of the model",
        "",
        "- Real AWS timings: AWS publishes no figure for Fargate's provisioning, pull or stop states, nor for "
        "the scheduler's replacement delay, the target registration (10 s here) or the steps of its launch "
        "throttle; the realistic ranges are the model's modelling choices, with fast timing beside them. Lambda "
        "cold starts and Step Functions latency take no virtual time, so real verdicts come a few seconds later "
        "than here.",
        "- Not modelled: ECS deployment alarms, blue/green and the other native strategies, or the Step "
        "Functions / Lambda free tiers.",
        "- GB-seconds come from in-process handler durations on this machine, an estimate; import times are "
        "this machine's (Python "
        f"{m.imports.python if m.imports else '?'}, x86_64, bytecode cached), not Lambda's arm64. "
        + layer_bytecode(m.artifacts),
        "- EventBridge delivers ECS's events best effort and within seconds; the local cloud delivers every one "
        "at the instant of the change. A watched failure is decided here at the instant its task stops; on AWS, "
        "a few seconds later, and a lost event leaves it to the Check that closes the watch.",
        "- The fan-out run deploys 50 healthy services, on fast timing; a fan-out where some fail adds Rollback and "
        "Check calls.",
        "",
    ]


def layer_bytecode(artifacts: Artifacts | ArtifactsError | None) -> str:
    built = artifacts.artifacts if isinstance(artifacts, Artifacts) else {}
    layer = next((x for name, x in built.items() if name.endswith("Layer")), None)
    if layer is None:
        return (
            "Whether the built layer carries its bytecode (`.pyc`) was not measured: Lambda mounts the layer "
            "read-only at /opt, so without it every cold start compiles what it imports from the layer, which "
            "these figures leave out."
        )
    if layer.bytecode_files:
        return (
            f"The built layer carries its bytecode ({layer.bytecode_files} `.pyc` files, compiled ahead by "
            "`layers/core/Makefile`), so a cold start on Lambda, which mounts the layer read-only at /opt, reads "
            "bytecode as these measurements do."
        )
    return (
        "The built layer carries no bytecode (`.pyc`) and Lambda mounts it read-only at /opt, so there every cold "
        "start compiles what it imports from the layer, which these figures leave out."
    )
