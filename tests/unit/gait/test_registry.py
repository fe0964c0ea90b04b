"""The metric registry agrees with itself, the report's schema, the explanations and the per-step code."""

from __future__ import annotations

import json
import re
from importlib import resources

import numpy as np
import pytest

from formcam.compare import expected_error_value
from formcam.gait.clean import clean_tracks
from formcam.gait.events import detect_events
from formcam.gait.pelvis import marker_line
from formcam.gait.registry import (
    BLUR_SENSITIVE_METRICS,
    CAMERA_MOTION_SENSITIVE_METRICS,
    HEADLINE_METRICS,
    METRICS,
    accuracy_study,
    expected_error,
    expected_error_text,
    panel_hints,
    panel_metrics,
)
from formcam.gait.signals import frame_signals
from formcam.gait.step_values import StepContext
from formcam.gait.steps import SIDES, StepValue, Unavailable
from formcam.gait.view import View, detect_view
from formcam.report.explanations import explanation
from formcam.synthetic.gait import make_gait


def test_names_are_unique_and_the_keys():
    assert all(spec.name == name for name, spec in METRICS.items())


def test_every_metric_is_in_the_report_schema_and_has_an_explanation():
    schema = json.loads(resources.files("formcam").joinpath("schema/report.schema.json").read_text(encoding="utf-8"))
    assert set(schema["properties"]["metrics"]["required"]) == set(METRICS)
    for name in METRICS:
        text = explanation(name)
        assert text is not None and text.what and text.why and text.cues, name


def test_every_metric_has_one_way_to_its_per_step_values_and_known_signals():
    signals = frame_signals(np.zeros((1, 33, 2)), detect_view(np.zeros((1, 33, 2))))
    for name, spec in METRICS.items():
        assert (spec.per_step is None) != (spec.step_signal is None), name
        assert spec.step_signal is None or spec.step_signal in signals, name
        if spec.plot is not None:
            keys = (spec.plot.signal,) if isinstance(spec.plot.signal, str) else spec.plot.signal
            assert set(keys) <= set(signals), name
        assert spec.views and set(spec.views) <= set(View), name


def test_display_flags_are_consistent():
    ranks = [spec.headline for spec in METRICS.values() if spec.headline is not None]
    assert sorted(ranks) == list(range(1, len(ranks) + 1)) and len(HEADLINE_METRICS) == len(ranks)
    hints = [spec.panel_hint for spec in METRICS.values() if spec.panel_hint is not None]
    assert sorted(hints) == list(range(1, len(hints) + 1)) and len(panel_hints()) == len(hints)
    for view in ("side", "rear", "front"):
        assert panel_metrics(view) and all(view in METRICS[name].views for name in panel_metrics(view))
    assert panel_metrics("oblique") == panel_metrics("unknown") == ()
    for name in BLUR_SENSITIVE_METRICS + CAMERA_MOTION_SENSITIVE_METRICS:
        assert METRICS[name].plain_name, name


@pytest.mark.parametrize("fps", [None, 30.0, 120.0])
def test_expected_error_number_is_the_whole_error_its_text_states(fps):
    for name, spec in METRICS.items():
        text = expected_error_text(spec, fps)
        assert expected_error_value(text, 10.0) == pytest.approx(expected_error(spec, fps, 10.0)), name
        relative = 10.0 * spec.landmark_error / 100 if spec.landmark_error_relative else spec.landmark_error
        assert expected_error_value(spec.landmark_error_text, 10.0) == pytest.approx(relative), name
        if name in accuracy_study().get("metrics", {}):
            assert text.endswith(spec.landmark_error_text) and expected_error(spec, fps, 10.0) is not None
            assert expected_error(spec, fps, 10.0) > expected_error_value(spec.landmark_error_text, 10.0), name


@pytest.mark.parametrize("view", ["side", "rear"])
def test_per_step_functions_give_side_frame_value_rows_or_a_reason(view):
    pose = make_gait(view=view, fps=60, duration_s=6, seed=3, markers=True)
    cleaned = clean_tracks(pose.image_xy, pose.visibility, pose.t_ms)
    estimate = detect_view(cleaned.xy)
    events = detect_events(cleaned.xy, pose.t_ms, estimate, xy_unfiltered=cleaned.unfiltered)
    context = StepContext(
        cleaned.xy,
        pose.t_ms,
        estimate,
        events,
        frame_signals(cleaned.xy, estimate),
        175.0,
        cleaned.unfiltered,
        cleaned.unfiltered,
        marker_line(pose.markers_xy, pose.t_ms),
    )
    measured = 0
    for name, spec in METRICS.items():
        if view not in spec.views:
            continue
        rows = spec.step_values(context)
        if isinstance(rows, Unavailable):
            assert rows.reason, name
            continue
        measured += 1
        assert rows and all(isinstance(row, StepValue) for row in rows), name
        for row in rows:
            assert row.side in SIDES and 0 <= row.frame < len(pose.t_ms) and isinstance(row.value, float), name
    assert measured == sum(view in spec.views for spec in METRICS.values())


def test_every_norm_cites_the_literature_or_says_it_is_formcams_own():
    # A code repository is not evidence for a norm: a norm cites a study, or is called a formcam heuristic.
    from formcam.gait.registry import METRICS

    for spec in METRICS.values():
        reference = spec.reference.lower()
        assert "github" not in reference and "zzzhushi" not in reference, spec.name
        if spec.watch_above is not None or spec.watch_below is not None:
            assert re.search(r"\b(19|20)\d\d\b", reference) or "heuristic" in reference, spec.name
