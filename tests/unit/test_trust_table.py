"""The trust table's rows (tests.helpers.trust_table), on made-up results: no model, no video."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.degrade import ANALYSED_CLIPS, DEGRADATIONS
from tests.helpers.trust_table import Row, inputs, markdown


def _report(excluded: dict) -> dict:
    return {
        "cadence_spm": {"value": 165.44, "n_steps": 58, "confidence": 1.0},
        "metrics": {
            "knee_flexion_contact_deg": {"excluded": excluded},
            "shank_angle_contact_deg": {"excluded": {"outside the range": 1}},
        },
        "quality": [{"code": "dark_video", "message": "..."}, {"code": "low_frame_rate", "message": "..."}],
    }


def test_rows_give_exit_cadence_steps_exclusions_by_reason_and_the_refusal():
    rows = [
        Row("a.mp4", "as is", 0, _report({"outside the range": 2, "no contact": 1}), ""),
        Row("bad/walk.mp4", "as is", 4, None, "walk.mp4 was not analysed: this looks like walking | x."),
    ]
    table = markdown(rows).splitlines()
    assert len(table) == 4 and table[1].startswith("|---")
    assert table[2].startswith("| `a.mp4` | as is | 0 | 165.4 | 58 | 3: outside the range (knee_flexion_contact_deg 2")
    assert "shank_angle_contact_deg 1)" in table[2] and "1: no contact (knee_flexion_contact_deg 1)" in table[2]
    assert table[2].endswith("| `dark_video`, `low_frame_rate` |")
    refusal = "walk.mp4 was not analysed: this looks like walking / x."
    assert table[3] == f"| `bad/walk.mp4` | as is | 4 |  |  |  | {refusal} |"


def test_every_clip_is_listed_as_it_is_and_each_analysed_clip_with_every_copy(tmp_path):
    for name in ("z_run.mp4", *ANALYSED_CLIPS, "bad/walk.mp4"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).touch()
    listed = [(clip, copy) for clip, copy, _, _ in inputs(Path(tmp_path))]
    assert ("z_run.mp4", "as is") in listed and ("bad/walk.mp4", "as is") in listed
    assert ("z_run.mp4", "dark") not in listed
    for clip in ANALYSED_CLIPS:
        assert [copy for name, copy in listed if name == clip] == ["as is", "original"] + [d.name for d in DEGRADATIONS]
