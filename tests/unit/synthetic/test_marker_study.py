"""The pelvic-drop study's tables (formcam.synthetic.marker_study); the study itself runs the real model."""

from __future__ import annotations

import pytest

from formcam.synthetic import marker_study as ms


def test_every_study_clip_is_a_rear_view_with_stickers_and_at_least_seven_steps_per_side():
    clips = ms.study_clips()
    assert len(clips) >= 6
    for spec in clips.values():
        assert spec.view == "rear" and spec.markers and spec.duration_s * spec.gait.cadence_spm / 60 / 2 >= 9


def test_gain_and_table_from_rows():
    rows = [
        ms.StudyRow("a", "full", 8.0, 4.0, 7.5, 4.2, 0.1),
        ms.StudyRow("b", "full", 12.0, 0.0, 11.6, 0.3, -0.05),
        ms.StudyRow("c", "full", 6.0, 6.0, None, None, float("nan")),
    ]
    assert ms.marker_gain(rows) == pytest.approx(0.93, abs=0.01)
    text = ms.markdown(rows)
    assert "| a | full | 8 / 4 | 7.5 / 4.2 | -0.5 / +0.2 | 0.10 |" in text and "| c | full | 6 / 6 | – / – |" in text
    assert "sticker gain 0.93" in text and "markerless hip-line gain -0.05 to 0.10" in text
    assert "largest 0.50°" in text
