"""The cold-import measurement itself: fresh base interpreters, run on small modules made for the test."""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from bench import footprint

pytestmark = pytest.mark.skipif(
    not (footprint.PYTHON312 / "python3.12").exists(), reason="the base Python 3.12 interpreter is not installed"
)
# pydantic for the base interpreter: the dev venv's own, on PYTHONPATH (its .pth finders are not read from there).
SITE_PACKAGES = next(p for p in sys.path if p.endswith("site-packages"))


def environment(*paths: Path | str) -> dict[str, str]:
    return {"PYTHONPATH": ":".join(str(p) for p in paths), "PATH": "/usr/bin:/bin"}


def test_an_import_is_split_by_package_without_the_interpreter_start_up(tmp_path):
    # Given a package of two modules, one of which imports the standard library's json
    (tmp_path / "shop").mkdir()
    (tmp_path / "shop" / "__init__.py").write_text("from shop import cart\n")
    (tmp_path / "shop" / "cart.py").write_text("import json\n")

    measured = footprint._cold_start("shop", tmp_path, environment(tmp_path))

    # Then the package and json are charged, and the own times add up to the import's cumulative time (each
    # figure of -X importtime is rounded to the microsecond; the start-up's modules would add milliseconds)
    assert measured.modules_by_package["shop"] == 2
    assert measured.modules_by_package["stdlib"] >= 2  # json and json.decoder at least
    rounding = sum(measured.modules_by_package.values())
    assert abs(sum(measured.self_us_by_package.values()) - measured.import_us) <= rounding
    assert measured.built == 0


def test_the_models_a_step_imports_are_left_unbuilt_and_then_built_and_timed(tmp_path):
    measured = footprint._cold_start(
        "pushdeploy.steps.check", tmp_path, environment(SITE_PACKAGES, footprint.LAYER), build_models=True
    )

    assert measured.built >= 5  # Check's input, output and the domain models it validates
    assert measured.build_us > 0
    assert {"pushdeploy", "pydantic", "botocore"} <= set(measured.self_us_by_package)


def test_a_model_that_cannot_be_built_fails_the_measurement(tmp_path):
    (tmp_path / "broken.py").write_text(
        "from pushdeploy.models import Model\n\nclass Broken(Model):\n    image: 'NoSuchType'\n"
    )

    with pytest.raises(RuntimeError, match=r"import broken .* failed: .*PydanticUndefinedAnnotation.*NoSuchType"):
        footprint._cold_start("broken", tmp_path, environment(SITE_PACKAGES, footprint.LAYER), build_models=True)


def test_the_host_layer_is_reused_while_the_requirements_are_unchanged(tmp_path, monkeypatch):
    # Given an install already there under the requirements' hash (pip is never run for it)
    digest = hashlib.sha256((footprint.LAYER / "requirements.txt").read_bytes()).hexdigest()[:12]
    (tmp_path / f"host-layer-{digest}").mkdir()
    (tmp_path / f"host-layer-{digest}.partial").mkdir()
    monkeypatch.setattr(footprint, "SAM_BUILD_DIR", tmp_path)

    assert footprint.host_layer() == tmp_path / f"host-layer-{digest}"


def test_modules_are_charged_to_their_top_level_package_or_the_standard_library():
    assert footprint._package("botocore.client") == "botocore"
    assert footprint._package("json.decoder") == "stdlib"
    assert footprint._package("_sysconfigdata__linux_x86_64-linux-gnu") == "stdlib"
    assert footprint._package("app") == "app"
