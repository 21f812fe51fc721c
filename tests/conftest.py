"""Fixtures shared by every test: the sample ECR events of tests/fixtures/events and the repository's paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
EVENTS = REPO / "tests" / "fixtures" / "events"
ASL = REPO / "statemachine" / "deploy.asl.json"


def load_event(name: str) -> dict[str, Any]:
    """A sample EventBridge event from tests/fixtures/events (shapes of AWS's ECR event documentation)."""
    return json.loads((EVENTS / f"{name}.json").read_text())


@pytest.fixture
def event() -> Any:
    return load_event
