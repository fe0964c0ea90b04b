"""Plausibility gates (issue 20, point 3): a per-step value no human runner can have is a pose failure.

It is left out of the value, the per-step outputs and the plots, and counted with its reason.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from formcam.gait.kinematics import analyse_pose
from formcam.gait.metrics import summarise
from formcam.gait.registry import METRICS
from formcam.gait.steps import StepValue
from formcam.pose import landmarks as lm
from formcam.report.tables import write_tables
from formcam.synthetic.gait import make_gait
from formcam.synthetic.noise import REALISTIC_NOISE


def test_every_metric_has_a_physiological_range_around_its_norms():
    for name, spec in METRICS.items():
        low, high = spec.plausible
        assert np.isfinite(low) and np.isfinite(high) and low < high, name
        assert low <= (spec.watch_below or low) and (spec.high_above or spec.watch_above or low) <= high, name


def test_steps_outside_the_range_are_left_out_and_counted():
    t_ms = np.arange(100) * 10.0
    values = [12.0, 11.0, -89.0, 13.0, 93.0, 12.5, 11.5, 14.0]
    steps = [StepValue("left" if i % 2 else "right", 10 * i, v) for i, v in enumerate(values)]
    result = summarise("knee_flexion_contact_deg", steps * 4, t_ms)  # 8 plausible right steps: at least 7
    assert result.n == 24 and sum(result.excluded.values()) == 8
    (reason,) = result.excluded
    assert "outside the physiological range -10 to 60°" in reason
    assert all(-10 <= step["value"] <= 60 for step in result.per_step)
    assert result.value == pytest.approx(np.median([v for v in values if -10 <= v <= 60]))
    assert result.to_json()["excluded"] == result.excluded


def test_a_clean_run_excludes_nothing():
    kin = analyse_pose(make_gait(view="side", fps=60, knee_flexion_contact_deg=15, overstride_pct=12))
    assert all(not result.excluded for result in kin.metrics.values())


@pytest.mark.parametrize("view", ["side", "rear"])
@pytest.mark.parametrize("seed", [1, 2])
def test_no_impossible_value_reaches_a_per_step_output_even_with_pose_failures(view, seed, tmp_path):
    """Knees thrown far off the leg in whole stretches of frames, as when the model draws a leg along a handrail."""
    pose = make_gait(view=view, fps=60, duration_s=12, **{**REALISTIC_NOISE, "seed": seed})
    rng = np.random.default_rng(seed)
    xy = pose.image_xy.copy()
    for start in rng.choice(len(xy) - 30, size=8, replace=False):
        knee = lm.LEFT_KNEE if rng.random() < 0.5 else lm.RIGHT_KNEE
        xy[start : start + 20, knee] += rng.uniform(-1, 1, 2) * 300.0
    pose = dataclasses.replace(pose, image_xy=xy)
    kin = analyse_pose(pose)
    for name, result in kin.metrics.items():
        low, high = METRICS[name].plausible
        assert all(low <= step["value"] <= high for step in result.per_step), name
    report = {"metrics": {name: result.to_json() for name, result in kin.metrics.items()}, "events": []}
    for path in write_tables(tmp_path, pose.t_ms, kin.signals, pose.detected, report):
        if path.name == "steps.csv":
            header, *rows = [line.split(",") for line in path.read_text().splitlines()]
            for column, title in enumerate(header):
                name = title.split(" [")[0]
                if name in METRICS:
                    low, high = METRICS[name].plausible
                    assert all(low <= float(row[column]) <= high for row in rows if row[column]), name
