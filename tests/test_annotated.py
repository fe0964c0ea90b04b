import numpy as np

from formcam.events import GaitEvents
from formcam.report.annotations import panel_rows, stance_side


def events(contacts, toe_offs):
    return GaitEvents(
        contact_frames=np.array([f for f, _ in contacts]), contact_sides=np.array([s for _, s in contacts]),
        toe_off_frames=np.array([f for f, _ in toe_offs]), toe_off_sides=np.array([s for _, s in toe_offs]),
    )


def test_each_foot_is_in_stance_from_contact_to_its_toe_off():
    side = stance_side(events([(2, "left"), (10, "right")], [(6, "left"), (14, "right")]), 20)
    assert list(side[:2]) == [None, None]
    assert set(side[2:6]) == {"left"} and side[6] is None
    assert set(side[10:14]) == {"right"} and side[14] is None


def test_a_toe_off_after_the_same_foots_next_contact_is_not_paired():
    # Left's only toe-off (frame 15) follows its second contact (12): the first stance has no end.
    side = stance_side(events([(2, "left"), (12, "left")], [(15, "left")]), 20)
    assert side[5] is None
    assert set(side[12:15]) == {"left"}


def _metric(label, value, valid=True, flag=None):
    return {"label": label, "value": value, "unit": "deg", "left": None, "right": None, "valid_for_view": valid,
            "flag": flag}


def test_panel_lists_the_views_metrics_and_says_why_one_is_missing():
    metrics = {"pelvic_drop_deg": _metric("Pelvic drop", None), "shoulder_dip_deg": _metric("Shoulder dip", 4.2, flag="watch"),
               "head_forward_pct": _metric("Head forward", None, valid=False)}
    rows = panel_rows({"cadence_spm": {"value": 171.2}, "view": {"label": "rear"}, "metrics": metrics})
    assert rows[0].value == "171 steps/min"
    assert [r.label for r in rows] == ["Cadence", "Pelvic drop", "Shoulder dip"]  # compact: nothing from other views
    assert rows[1].value == "n/a (too few steps)" and rows[2].value == "4.2°" and rows[2].flag == "watch"


def test_panel_of_an_unclear_view_says_the_headline_metrics_need_another_view():
    metrics = {"pelvic_drop_deg": _metric("Pelvic drop", None, valid=False)}
    rows = panel_rows({"cadence_spm": {"value": None}, "view": {"label": "oblique"}, "metrics": metrics})
    assert rows[0].value == "n/a"
    assert rows[1].label == "Pelvic drop" and rows[1].value == "n/a (not in oblique view)"
