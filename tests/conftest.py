"""Fixtures shared by every test: the sample ECR events of ../shared/events and the repository's paths."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_EVENTS = REPO.parent / "shared" / "events"
ASL = REPO / "statemachine" / "deploy.asl.json"


def load_event(name: str) -> dict[str, Any]:
    """A sample EventBridge event from ../shared/events (read-only, present in CI too)."""
    return json.loads((SHARED_EVENTS / f"{name}.json").read_text())


@pytest.fixture
def event() -> Any:
    return load_event
