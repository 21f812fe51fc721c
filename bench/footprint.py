"""What each Lambda function costs before it does anything: its cold import time and its artifact size."""

from __future__ import annotations

import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from pushdeploy_local.template import REPO_ROOT, Template

REPEATS = 7
PYTHON312 = Path("/root/.pyenv/versions/3.12.1/bin")
SAM_BUILD_DIR = Path(os.environ.get("PUSHDEPLOY_BENCH_BUILD", "/tmp/pushdeploy-bench-sam"))
# What the template's Refs stand for, as the local cloud names them (any valid value will do: the
# functions only validate them at import).
REF_VALUES = {
    "STATE_MACHINE_ARN": "arn:aws:states:us-east-1:123456789012:stateMachine:pushdeploy-deploy",
    "TARGETS_PARAMETER": "/pushdeploy/targets",
    "LOCK_TABLE": "pushdeploy-locks",
    "ALERT_TOPIC_ARN": "arn:aws:sns:us-east-1:123456789012:pushdeploy-alerts",
    "NOTIFY_ON_SUCCESS": "false",
    "LOG_LEVEL": "INFO",
}
_IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)\s*$")


def _lambda_environment(function_name: str, memory_mb: int) -> dict[str, str]:
    """What the Lambda runtime sets (those Powertools reads decide whether the tracer patches boto)."""
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
        "PYTHONPATH": str(REPO_ROOT / "layers" / "core"),
    }


def _import_microseconds(module: str, cwd: Path, env: dict[str, str]) -> tuple[int, dict[str, int]]:
    """One fresh interpreter: `module`'s cumulative import time, and that of each module it imports directly."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [m for line in done.stderr.splitlines() if (m := _IMPORT_LINE.match(line))]
    # A module's line follows those of the modules it imported, each nested two more spaces deep.
    top = max(i for i, m in enumerate(lines) if m.group(4) == module and len(m.group(3)) == 1)
    children: dict[str, int] = {}
    for match in reversed(lines[:top]):
        indent = len(match.group(3)) - 1
        if indent == 0:
            break
        if indent == 2:
            children[match.group(4)] = int(match.group(2))
    return int(lines[top].group(2)), children


# What the Check handler would import under a lighter design (measured the same way, never shipped):
# without the X-Ray SDK tracer and the Powertools parser, and without Powertools at all.
LEAN_CHECK = {
    "check_without_tracer_and_parser": (
        "from aws_lambda_powertools import Logger\n"
        "from pushdeploy.steps.check import CheckInput, check\n"
        "logger = Logger()\n"
        "@logger.inject_lambda_context(correlation_id_path='execution')\n"
        "def handler(event, context):\n"
        "    return check(CheckInput.model_validate(event)).model_dump(mode='json')\n"
    ),
    "check_without_powertools": (
        "import logging\n"
        "from pushdeploy.steps.check import CheckInput, check\n"
        "logger = logging.getLogger()\n"
        "def handler(event, context):\n"
        "    return check(CheckInput.model_validate(event)).model_dump(mode='json')\n"
    ),
}


def import_times(repeats: int = REPEATS) -> dict[str, Any]:
    """Median cold import of each handler (its layer on sys.path, its environment set) and of boto3 alone.

    The runs are interleaved (boto3, then every handler, `repeats` times) so that a busy moment of the
    machine weighs on all of them alike.
    """
    functions = Template().functions
    samples: dict[str, list[int]] = {"boto3": []}
    children: dict[str, dict[str, list[int]]] = {}
    variants = Path(tempfile.mkdtemp(prefix="pushdeploy-bench-imports-"))
    for name, source in LEAN_CHECK.items():
        (variants / name).mkdir()
        (variants / name / "app.py").write_text(source)
    check_env = {k: v for k, v in functions["CheckFunction"].environment.items() if isinstance(v, str)}
    for _ in range(repeats):
        base = _lambda_environment("boto3-only", 256)
        samples["boto3"].append(_import_microseconds("boto3", REPO_ROOT, base)[0])
        for name, function in functions.items():
            env = _lambda_environment(name, function.memory_mb)
            for key, value in function.environment.items():
                env[key] = str(value) if isinstance(value, str | int | bool) else REF_VALUES.get(key, "placeholder")
            module = function.handler.rsplit(".", 1)[0]
            total, direct = _import_microseconds(module, function.code_uri, env)
            samples.setdefault(name, []).append(total)
            for child, micros in direct.items():
                children.setdefault(name, {}).setdefault(child, []).append(micros)
        for name in LEAN_CHECK:
            env = {**_lambda_environment("CheckFunction", 256), **check_env, "LOG_LEVEL": "INFO"}
            samples.setdefault(name, []).append(_import_microseconds("app", variants / name, env)[0])
    shutil.rmtree(variants, ignore_errors=True)
    boto3_ms = statistics.median(samples["boto3"]) / 1000
    handlers = {}
    for name in functions:
        median_ms = statistics.median(samples[name]) / 1000
        heaviest = sorted(
            ((child, statistics.median(values) / 1000) for child, values in children.get(name, {}).items()),
            key=lambda item: -item[1],
        )[:4]
        handlers[name] = {
            "median_ms": round(median_ms, 1),
            "ratio_to_boto3": round(median_ms / boto3_ms, 2),
            "heaviest_direct_imports_ms": {child: round(ms, 1) for child, ms in heaviest},
        }
    lean = {
        name: {
            "median_ms": round(statistics.median(samples[name]) / 1000, 1),
            "ratio_to_boto3": round(statistics.median(samples[name]) / 1000 / boto3_ms, 2),
        }
        for name in LEAN_CHECK
    }
    return {
        "repeats": repeats,
        "boto3_median_ms": round(boto3_ms, 1),
        "python": sys.version.split()[0],
        "handlers": handlers,
        "what_if": lean,
    }


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


def artifact_sizes() -> dict[str, Any]:
    """`sam build` (Python 3.12 on PATH, as make build does) into a build directory of the bench's own,
    then each artifact's size on disk and as a deflated zip (what Lambda receives)."""
    sam = sam_cli()
    if sam is None:
        return {"error": "SAM CLI not available (bash scripts/check-template.sh --sam-path failed)"}
    build, cache = SAM_BUILD_DIR / "build", SAM_BUILD_DIR / "cache"
    shutil.rmtree(build, ignore_errors=True)
    env = {**os.environ, "SAM_CLI_TELEMETRY": "0", "AWS_DEFAULT_REGION": "us-east-1"}
    env["PATH"] = f"{PYTHON312}:{env.get('PATH', '')}"
    command = [sam, "build", "--template", "template.yaml", "--build-dir", str(build), "--cache-dir", str(cache)]
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        return {"error": f"sam build failed: {done.stderr.strip().splitlines()[-1:] or done.returncode}"}
    artifacts = {}
    for path in sorted(p for p in build.iterdir() if p.is_dir()):
        files = [f for f in path.rglob("*") if f.is_file()]
        artifacts[path.name] = {
            "files": len(files),
            "bytes": sum(f.stat().st_size for f in files),
            "zipped_bytes": _zipped_size(path, files),
            "largest_packages": _largest(path) if path.name.endswith("Layer") else {},
        }
    return {"build_dir": str(build), "artifacts": artifacts}


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
