"""The committed results, measurements and document: the typed rows keep results.json's contract, and the
document is what the renderer makes of the measurements (edit bench/render/, then `python -m bench --render`)."""

from __future__ import annotations

from pathlib import Path

from bench import canary, fanout, plot, render
from bench.measurements import Measurements
from bench.render import fanout as fanout_section
from bench.rows import PollingRow, PushdeployRow, Row, dump_rows, load_rows

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results.json"
MEASUREMENTS = ROOT / "bench" / "measurements.json"
FANOUT = ROOT / "bench" / "fanout.json"
CANARY = ROOT / "bench" / "canary.json"


def test_results_json_reads_into_each_systems_row_and_writes_back_byte_for_byte():
    text = RESULTS.read_text()

    rows = load_rows(text)

    assert dump_rows(rows) == text
    kinds = {row.system: type(row) for row in rows}
    assert kinds == {
        "pushdeploy": PushdeployRow,
        "circuit_breaker": Row,
        "waiter": PollingRow,
        "poll_1s": PollingRow,
    }


def test_measurements_json_reads_and_writes_back_byte_for_byte():
    text = MEASUREMENTS.read_text()

    assert Measurements.model_validate_json(text).dump() == text


def test_fanout_json_reads_and_writes_back_byte_for_byte():
    text = FANOUT.read_text()

    rows = fanout.load(text)

    assert fanout.dump(rows) == text
    assert {(r.system, r.services) for r in rows} >= {
        (system, count) for system in fanout.FANOUT_SYSTEMS for count in fanout.FANOUT_COUNTS
    }


def test_the_committed_document_and_plot_are_rendered_from_the_committed_measurements():
    rows = load_rows(RESULTS.read_text())
    measurements = Measurements.model_validate_json(MEASUREMENTS.read_text())
    fan_rows = fanout.load(FANOUT.read_text())
    canary_rows = canary.load(CANARY.read_text())

    rendered = render.render(rows, measurements, fan_rows, canary_rows)
    assert rendered == (ROOT / "docs" / "benchmarks.md").read_text()
    assert plot.restore_svg(rows) == (ROOT / "docs" / render.PLOT).read_text()
    assert fanout_section.svg(fan_rows) == (ROOT / "docs" / fanout_section.PLOT).read_text()
