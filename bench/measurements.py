"""bench/measurements.json: everything a run measured besides results.json's rows.

As with the rows, each model's fields, in their order, are the file's keys; a part not measured (the cold
imports, the artifacts) is left out of the file rather than written as null.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from bench.rows import PushdeployRow, Record
from pushdeploy.outcome import Outcome


def _absent(value: Any) -> bool:
    return value is None


class Source(Record):
    """The commit measured, and the files that differed from it (the bench measures the working tree)."""

    commit: str
    uncommitted: list[str]


class Goal(Record):
    goal: str
    met: bool | None  # None: not measured
    detail: str
    misses: list[str]


class BucketLoad(Record):
    """One throttling bucket of aws-facts.md against the calls replayed on it."""

    bucket: str
    calls: int
    peak_per_second: int
    burst: int
    sustained_per_second: int
    fewest_tokens_left: float
    throttled: int
    busiest_second_at: float
    busiest_second_by_caller: dict[str, int]  # "<function or client> <service:Operation>": calls


class Limits(Record):
    buckets: list[BucketLoad]
    below_every_limit: bool
    peak_per_second_all: int
    no_limit_listed: dict[str, int]


class Fanout(Record):
    """One healthy push that feeds `services` services."""

    services: int
    watch_seconds: int
    outcomes: dict[Outcome, int]  # the deployer's outcome of each target
    first_verdict_s: float | None
    last_verdict_s: float | None
    verdicts_by_second: dict[str, int]
    finished_s: float | None
    transitions: int
    lambda_invocations: int
    usd: float
    api_calls: int
    api_calls_by_operation: dict[str, int]
    limits: Limits


class ImportSummary(Record):
    """The median cold import over fresh processes, and each package's own share (largest first)."""

    median_ms: float
    ratio_to_boto3: float
    import_ms_by_package: dict[str, float]
    modules_by_package: dict[str, int]


class LibrariesImport(ImportSummary):
    imports: list[str]  # the lines imported


class HandlerImport(ImportSummary):
    deferred_build_ms: float
    models_built: int
    ratio_with_models_built: float


class ImportBaselines(Record):
    boto3: ImportSummary
    libraries: LibrariesImport


class Imports(Record):
    repeats: int
    python: str
    interpreter: str
    layer_requirements: list[str]
    boto3_median_ms: float
    baselines: ImportBaselines
    handlers: dict[str, HandlerImport]
    load_average_1min: list[float] = Field(default_factory=list)  # before and after; set by `python -m bench`
    source: Source | None = Field(None, exclude_if=_absent)  # when measured again on its own


class Artifact(Record):
    files: int
    bytes: int
    zipped_bytes: int
    bytecode_files: int
    largest_packages: dict[str, int]  # a layer's; empty for a function


class Artifacts(Record):
    build_dir: str
    artifacts: dict[str, Artifact]
    source: Source | None = Field(None, exclude_if=_absent)  # when measured again on its own


class ArtifactsError(Record):
    error: str


class Measurements(Record):
    source: Source | None = Field(None, exclude_if=_absent)
    jobs: int
    fanout: Fanout | None
    watch_off: list[PushdeployRow]
    imports: Imports | None = Field(None, exclude_if=_absent)
    artifacts: Artifacts | ArtifactsError | None = Field(None, exclude_if=_absent)
    wall_seconds: int
    goals: list[Goal] = Field(default_factory=list)
    # The canary rows' tree when `python -m bench --only canary` measured them again on their own.
    canary_source: Source | None = Field(None, exclude_if=_absent)

    def dump(self) -> str:
        """measurements.json's text."""
        return json.dumps(self.model_dump(mode="json"), indent=1) + "\n"
