"""What each Lambda function costs before it does anything: its cold import time and its artifact size."""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from bench.measurements import (
    Artifact,
    Artifacts,
    ArtifactsError,
    HandlerImport,
    ImportBaselines,
    Imports,
    ImportSummary,
    LibrariesImport,
)
from pushdeploy_local.stack import REPO_ROOT, transformed

REPEATS = 7
PYTHON312 = Path("/root/.pyenv/versions/3.12.1/bin")
SAM_BUILD_DIR = Path(os.environ.get("PUSHDEPLOY_BENCH_BUILD", "/tmp/pushdeploy-bench-sam"))
LAYER = REPO_ROOT / "layers" / "core"
# What the template's Refs stand for, values of the shape a stack gives them (any valid value will do:
# the functions only validate them at import).
REF_VALUES = {
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:pushdeploy-deploy",
    "TARGETS_PARAMETER": "/pushdeploy/targets",
    "LOCK_TABLE": "pushdeploy-locks",
    "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:pushdeploy-alerts",
    "NOTIFY_ON_SUCCESS": "false",
    "LOG_LEVEL": "INFO",
}
# The libraries every handler imports, and nothing of pushdeploy: how near 1.5x `import boto3` a handler on
# this layer can come at best.
LIBRARIES = "import boto3\nfrom pydantic import BaseModel\nfrom aws_lambda_powertools import Logger\n"
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")
# Run after the handler's import, in the same process: build every pushdeploy model it imported that
# defer_build left unbuilt, and say how long that took. Its own imports come after the handler's line, so
# the import time is untouched; whatever pydantic imports to build is counted in the build.
_BUILD_MODELS = """
import json, time
from pushdeploy.models import Model

def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)

models = list(dict.fromkeys(subclasses(Model)))
deferred = [m for m in models if not m.__pydantic_complete__]
started = time.perf_counter_ns()
for model in deferred:
    model.model_rebuild()
elapsed = time.perf_counter_ns() - started
incomplete = [m.__qualname__ for m in models if not m.__pydantic_complete__]
print(json.dumps({"build_us": elapsed // 1000, "built": len(deferred), "incomplete": incomplete}))
"""


@dataclass
class ColdStart:
    """One fresh interpreter: a module's cumulative import time, the same split by package (each imported
    module's own time, summed per top-level package) with the number of modules imported from each, and (for a
    handler) the time to build the models its import left unbuilt."""

    import_us: int
    self_us_by_package: dict[str, int]
    modules_by_package: dict[str, int]
    build_us: int = 0
    built: int = 0


def layer_requirements() -> list[str]:
    return [
        line.strip()
        for line in (LAYER / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def host_layer() -> Path:
    """The CoreLayer's dependencies (layers/core/requirements.txt, the same pins) installed for this machine.

    `sam build` makes arm64 wheels, which cannot run here; this is the same set as x86_64 wheels, what
    /opt/python holds in Lambda apart from `pushdeploy` itself. Kept under SAM_BUILD_DIR, keyed by the
    requirements file's hash, so a changed pin installs afresh and an unchanged one installs once.
    """
    requirements = LAYER / "requirements.txt"
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:12]
    target = SAM_BUILD_DIR / f"host-layer-{digest}"
    if target.is_dir():
        return target
    partial = target.with_name(f"{target.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [str(PYTHON312 / "python3.12"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    done = subprocess.run(
        [*command, "--target", str(partial), "-r", str(requirements)], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        raise RuntimeError(f"pip install of {requirements} failed: {done.stderr.strip()[-2000:]}")
    partial.rename(target)  # only a complete install is ever found under the final name
    return target


def _package(name: str) -> str:
    """Who an imported module's own time is charged to: the standard library, or its top-level package
    (pushdeploy, pydantic, botocore, ...; `app` is the handler's module)."""
    top = name.split(".", 1)[0]
    return "stdlib" if top in sys.stdlib_module_names or top.startswith("_sysconfigdata") else top


def _summary(samples: list[ColdStart], boto3_ms: float) -> ImportSummary:
    """The median import over the samples, as a ratio to boto3's, and each package's median own import time
    (largest first; under 0.1 ms left out) with how many of its modules were imported."""
    median_ms = statistics.median(s.import_us for s in samples) / 1000
    packages = {package for s in samples for package in s.self_us_by_package}
    own = {p: statistics.median(s.self_us_by_package.get(p, 0) for s in samples) / 1000 for p in packages}
    largest = [p for p, ms in sorted(own.items(), key=lambda item: -item[1]) if ms >= 0.1]
    return ImportSummary(
        median_ms=round(median_ms, 1),
        ratio_to_boto3=round(median_ms / boto3_ms, 2),
        import_ms_by_package={p: round(own[p], 1) for p in largest},
        modules_by_package={p: max(s.modules_by_package.get(p, 0) for s in samples) for p in largest},
    )


def _lambda_environment(function_name: str, memory_mb: int, layer: Path) -> dict[str, str]:
    """What the Lambda runtime sets (Powertools' Logger reads some of it), and the layer on PYTHONPATH where
    Lambda has /opt/python: its dependencies, then `pushdeploy`."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
        "AWS_LAMBDA_FUNCTION_NAME": function_name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "_HANDLER": "app.handler",
        "PYTHONPATH": f"{layer}{os.pathsep}{LAYER}",
    }


def _cold_start(module: str, cwd: Path, env: dict[str, str], build_models: bool = False) -> ColdStart:
    """`import module` in a fresh base interpreter (no venv, no user site), run from `cwd` as Lambda runs a
    handler from /var/task; then, if asked, build the deferred models in that same process."""
    source = f"import {module}\n{_BUILD_MODELS if build_models else ''}"
    done = subprocess.run(
        [str(PYTHON312 / "python3.12"), "-s", "-X", "importtime", "-c", source],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        error = [line for line in done.stderr.splitlines() if not line.startswith("import time:")][-3:]
        raise RuntimeError(f"import {module} in {cwd} failed: {' '.join(error)}")
    lines = [m for line in done.stderr.splitlines() if (m := _IMPORT_LINE.match(line))]
    # A module's line follows those of the modules it imported, each nested deeper; the lines before them are
    # the interpreter's start-up, those after the module's line the model build's.
    top = max(i for i, m in enumerate(lines) if m.group(4) == module and len(m.group(3)) == 1)
    first = top
    while first > 0 and len(lines[first - 1].group(3)) > 1:
        first -= 1
    by_package: dict[str, int] = {}
    modules: dict[str, int] = {}
    for match in lines[first : top + 1]:
        package = _package(match.group(4))
        by_package[package] = by_package.get(package, 0) + int(match.group(1))
        modules[package] = modules.get(package, 0) + 1
    measured = ColdStart(int(lines[top].group(2)), by_package, modules)
    if build_models:
        built = json.loads(done.stdout.strip().splitlines()[-1])
        if built["incomplete"]:
            raise RuntimeError(f"{module}: models still incomplete after model_rebuild(): {built['incomplete']}")
        measured.build_us, measured.built = built["build_us"], built["built"]
    return measured


def import_times(repeats: int = REPEATS) -> Imports:
    """Median cold import of each handler with its layer and its environment, and what building its deferred
    models adds; of `import boto3` alone in the same interpreter with the same layer, and of the LIBRARIES.

    One unmeasured round first writes the bytecode caches. The measured runs are interleaved (boto3, the
    libraries, then every handler, `repeats` times) so that a busy moment of the machine weighs on all alike.
    """
    layer = host_layer()
    document, packaged = transformed()
    functions = {
        name: resource["Properties"]
        for name, resource in document["Resources"].items()
        if resource["Type"] == "AWS::Lambda::Function"
    }
    runs: list[tuple[str, str, Path, dict[str, str]]] = [
        ("boto3", "boto3", REPO_ROOT, _lambda_environment("boto3-only", 256, layer))
    ]
    for name, function in functions.items():
        env = _lambda_environment(name, int(function["MemorySize"]), layer)
        for key, value in function.get("Environment", {}).get("Variables", {}).items():
            env[key] = str(value) if isinstance(value, str | int | bool) else REF_VALUES.get(key, "placeholder")
        runs.append((name, function["Handler"].rsplit(".", 1)[0], packaged.of(name), env))
    libraries = Path(tempfile.mkdtemp(prefix="pushdeploy-bench-imports-"))
    (libraries / "libraries.py").write_text(LIBRARIES)
    runs.insert(1, ("libraries", "libraries", libraries, runs[0][3]))
    samples: dict[str, list[ColdStart]] = {name: [] for name, *_ in runs}
    try:
        for round_ in range(repeats + 1):
            for name, module, cwd, env in runs:
                measured = _cold_start(module, cwd, env, build_models=name in functions)
                if round_:
                    samples[name].append(measured)
    finally:
        shutil.rmtree(libraries, ignore_errors=True)
    boto3_ms = statistics.median(s.import_us for s in samples["boto3"]) / 1000
    handlers = {}
    for name in functions:
        runs_of = samples[name]
        built_ms = statistics.median(s.import_us + s.build_us for s in runs_of) / 1000
        handlers[name] = HandlerImport(
            **_summary(runs_of, boto3_ms).model_dump(),
            deferred_build_ms=round(statistics.median(s.build_us for s in runs_of) / 1000, 1),
            models_built=max(s.built for s in runs_of),
            ratio_with_models_built=round(built_ms / boto3_ms, 2),
        )
    version = subprocess.run(
        [str(PYTHON312 / "python3.12"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    libraries_alone = _summary(samples["libraries"], boto3_ms).model_dump()
    return Imports(
        repeats=repeats,
        python=version.stdout.strip(),
        interpreter=str(PYTHON312 / "python3.12"),
        layer_requirements=layer_requirements(),
        boto3_median_ms=round(boto3_ms, 1),
        baselines=ImportBaselines(
            boto3=_summary(samples["boto3"], boto3_ms),
            libraries=LibrariesImport(**libraries_alone, imports=LIBRARIES.strip().splitlines()),
        ),
        handlers=handlers,
    )


def sam_cli() -> str | None:
    try:
        done = subprocess.run(
            ["bash", str(REPO_ROOT / "scripts" / "check-template.sh"), "--sam-path"],
            capture_output=True,
            text=True,
            check=True,
            timeout=900,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    path = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    return path if path and Path(path).exists() else None


def artifact_sizes() -> Artifacts | ArtifactsError:
    """`sam build` (Python 3.12 on PATH, as make build does) into a build directory of the bench's own,
    then each artifact's size on disk and as a deflated zip (what Lambda receives)."""
    sam = sam_cli()
    if sam is None:
        return ArtifactsError(error="SAM CLI not available (bash scripts/check-template.sh --sam-path failed)")
    build, cache = SAM_BUILD_DIR / "build", SAM_BUILD_DIR / "cache"
    shutil.rmtree(build, ignore_errors=True)
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    env["PATH"] = f"{PYTHON312}:{env.get('PATH', '')}"
    command = [sam, "build", "--template", "template.yaml", "--build-dir", str(build), "--cache-dir", str(cache)]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return ArtifactsError(error=f"sam build failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}")
    artifacts = {}
    for path in sorted(p for p in build.iterdir() if p.is_dir()):
        files = [f for f in path.rglob("*") if f.is_file()]
        artifacts[path.name] = Artifact(
            files=len(files),
            bytes=sum(f.stat().st_size for f in files),
            zipped_bytes=_zipped_size(path, files),
            bytecode_files=sum(f.suffix == ".pyc" for f in files),
            largest_packages=_largest(path) if path.name.endswith("Layer") else {},
        )
    return Artifacts(build_dir=str(build), artifacts=artifacts)


def _zipped_size(root: Path, files: list[Path]) -> int:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for f in sorted(files):
            archive.write(f, f.relative_to(root))
    return buffer.tell()


def _largest(layer: Path, top: int = 5) -> dict[str, int]:
    site = layer / "python"
    sizes = {
        entry.name: sum(f.stat().st_size for f in ([entry] if entry.is_file() else entry.rglob("*")) if f.is_file())
        for entry in site.iterdir()
        if not entry.name.endswith(".dist-info")
    }
    return dict(sorted(sizes.items(), key=lambda item: -item[1])[:top])
