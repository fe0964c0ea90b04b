"""frames.csv and steps.csv: the columns, their units in the header, and one row per frame / per step."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest

from formcam.report.tables import frames_table, signal_unit, steps_table
from tests.helpers.reporting import synthetic_analysis


def read(text: str) -> tuple[list[str], list[dict]]:
    rows = list(csv.DictReader(io.StringIO(text)))
    return next(csv.reader(io.StringIO(text))), rows


@pytest.fixture(scope="module")
def rear(tmp_path_factory):
    analysis, _, _ = synthetic_analysis(
        tmp_path_factory.mktemp("tables"),
        view="rear",
        pelvic_drop_deg=7,
        outputs=frozenset({"frames.csv", "steps.csv"}),
    )
    return analysis


def test_frames_csv_has_one_row_per_frame_and_a_unit_for_every_quantity(rear):
    header, rows = read((rear.out_dir / "frames.csv").read_text())
    assert header[:3] == ["frame", "t_ms [ms]", "detected"]
    for name in rear.kinematics.signals:
        assert f"{name} [{signal_unit(name)}]" in header
    assert "hip_tilt_deg [deg]" in header and "head_forward_pct [% trunk]" in header
    assert all(" [" in cell for cell in header if cell not in ("frame", "detected"))
    assert len(rows) == rear.pose.n_frames
    assert float(rows[3]["t_ms [ms]"]) == pytest.approx(rear.pose.t_ms[3], abs=1e-3)
    hip = np.array([float(r["hip_tilt_deg [deg]"]) for r in rows])
    np.testing.assert_allclose(hip, rear.kinematics.signals["hip_tilt_deg"], atol=1e-3)
    assert rows[0]["head_forward_pct [% trunk]"] == ""  # not measured in a rear view: blank, not 'nan'


def test_steps_csv_has_one_row_per_contact_with_events_and_metric_values(rear):
    header, rows = read((rear.out_dir / "steps.csv").read_text())
    assert header[:8] == [
        "step",
        "side",
        "contact_frame",
        "contact_t_ms [ms]",
        "toe_off_frame",
        "toe_off_t_ms [ms]",
        "stance_ms [ms]",
        "step_ms [ms]",
    ]
    assert "pelvic_drop_deg [deg]" in header and "arm_crossover_pct [% shoulder width]" in header
    contacts = [e for e in rear.report["events"] if e["kind"] == "contact"]
    assert len(rows) == len(contacts)
    assert [r["side"] for r in rows] == [c["side"] for c in contacts]
    assert {r["side"] for r in rows} == {"left", "right"}
    full = [r for r in rows if r["toe_off_frame"]]
    assert full and all(int(r["toe_off_frame"]) > int(r["contact_frame"]) for r in full)
    assert all(float(r["stance_ms [ms]"]) < float(r["step_ms [ms]"]) * 1.5 for r in full if r["step_ms [ms]"])
    # Every per-step value lands in its step's row, on the right side.
    per_step = rear.report["metrics"]["pelvic_drop_deg"]["per_step"]
    values = [float(r["pelvic_drop_deg [deg]"]) for r in rows if r["pelvic_drop_deg [deg]"]]
    assert len(values) == len(per_step)
    assert np.median(values) == pytest.approx(7, abs=1)
    for step in per_step:
        row = max(
            (r for r in rows if r["side"] == step["side"] and int(r["contact_frame"]) <= step["frame"]),
            key=lambda r: int(r["contact_frame"]),
        )
        assert float(row["pelvic_drop_deg [deg]"]) == pytest.approx(step["value"], abs=1e-3)


def test_tables_of_an_empty_analysis_have_headers_only():
    report = {"events": [], "metrics": {"pelvic_drop_deg": {"unit": "deg", "per_step": []}}}
    assert steps_table(report).splitlines()[0].startswith("step,side,contact_frame,contact_t_ms [ms]")
    assert len(steps_table(report).splitlines()) == 1
    text = frames_table(np.zeros(0), {"hip_tilt_deg": np.zeros(0)}, np.zeros(0, bool))
    assert text.splitlines() == ["frame,t_ms [ms],detected,hip_tilt_deg [deg]"]
