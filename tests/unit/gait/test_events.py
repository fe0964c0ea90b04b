"""Gait events, cadence and phase fractions on synthetic gaits with known events."""

from __future__ import annotations

import numpy as np
import pytest

from formcam.gait.cadence import estimate_cadence, gait_phase_fractions
from formcam.gait.clean import clean_landmarks
from formcam.gait.events import detect_events
from formcam.gait.foot_motion import midstance_frames
from formcam.gait.steps import GaitEvents, regular_steps, stances
from formcam.gait.view import ViewEstimate, detect_view
from formcam.pose import landmarks as lm
from formcam.synthetic.gait import make_gait


def _prepared(**params):
    pose = make_gait(**params)
    xy = clean_landmarks(pose.image_xy, pose.visibility, pose.t_ms)
    return xy, pose.t_ms, detect_view(xy), pose.extras.truth


def _match(found_frames, found_sides, truth_ms, truth_sides, fps, tol_frames, n_frames=600):
    truth_frames = np.asarray(truth_ms) * fps / 1000
    # An event within 0.1 s of the clip's ends has no signal on one side of it: not required.
    inside = (truth_frames > 0.1 * fps) & (truth_frames < n_frames - 0.1 * fps)
    truth_frames, truth_sides = truth_frames[inside], np.asarray(truth_sides)[inside]
    found_inside = (found_frames > 0.1 * fps) & (found_frames < n_frames - 0.1 * fps)
    found_frames, found_sides = found_frames[found_inside], np.asarray(found_sides)[found_inside]
    assert len(found_frames) == len(truth_frames)
    assert np.abs(found_frames - truth_frames).max() <= tol_frames
    assert list(found_sides) == list(truth_sides)


@pytest.mark.parametrize("view", ["side", "rear", "front"])
@pytest.mark.parametrize("noise", [0.0, 2.0])
def test_contacts_and_toe_offs_match_the_truth(view, noise):
    xy, t_ms, est, truth = _prepared(view=view, jitter_px=noise, seed=2)
    events = detect_events(xy, t_ms, est)
    _match(events.contact_frames, events.contact_sides, truth["contact_t_ms"], truth["contact_sides"], 60, 2.5)
    _match(events.toe_off_frames, events.toe_off_sides, truth["toe_off_t_ms"], truth["toe_off_sides"], 60, 2.5)


def test_left_running_side_view_finds_the_same_events():
    xy, t_ms, est, truth = _prepared(view="side", direction="left")
    assert est.facing == -1
    events = detect_events(xy, t_ms, est)
    _match(events.contact_frames, events.contact_sides, truth["contact_t_ms"], truth["contact_sides"], 60, 2.5)


def test_same_foot_contacts_are_at_least_220_ms_apart():
    xy, t_ms, est, _ = _prepared(view="rear", cadence_spm=200, jitter_px=3, dropout_fraction=0.05)
    events = detect_events(xy, t_ms, est)
    for side in ("left", "right"):
        times = t_ms[events.contact_frames[events.contact_sides == side]]
        assert np.diff(times).min() >= 220


@pytest.mark.parametrize("fps", [24, 30, 60, 120, 240])
@pytest.mark.parametrize("cadence", [150.0, 185.0])
def test_cadence_is_exact_to_half_a_percent_at_any_frame_rate(fps, cadence):
    xy, t_ms, est, _ = _prepared(view="side", fps=fps, cadence_spm=cadence, duration_s=8, vertical_oscillation_pct=7)
    result = estimate_cadence(detect_events(xy, t_ms, est), t_ms, xy)
    assert result.value_spm == pytest.approx(cadence, rel=0.005)
    assert result.spectral_spm == pytest.approx(cadence, rel=0.03)
    assert result.confidence > 0.8


def test_missing_one_foot_is_not_mistaken_for_half_the_cadence():
    xy, t_ms, est, _ = _prepared(view="side", vertical_oscillation_pct=8)
    events = detect_events(xy, t_ms, est)
    left = events.contact_sides == "left"
    only_left = GaitEvents(
        events.contact_frames[left], events.contact_sides[left], events.toe_off_frames, events.toe_off_sides
    )
    result = estimate_cadence(only_left, t_ms, xy)
    assert result.value_spm == pytest.approx(170.0, rel=0.01)
    assert result.confidence < 0.8


def test_phase_fractions_tell_running_from_walking():
    xy, t_ms, est, truth = _prepared(view="side")
    running = gait_phase_fractions(xy, t_ms, detect_events(xy, t_ms, est))
    # True flight per step: 1 - 2 x duty factor = 0.30.  Filtering rounds the corners of the foot's
    # path, so contacts come out a little early and toe-offs late: flight is underestimated.
    assert 0.15 < running["flight"] <= 1 - 2 * truth["duty_factor"] + 0.02
    assert running["double_support"] == 0.0
    xy, t_ms, est, truth = _prepared(view="rear", flight=False)
    walking = gait_phase_fractions(xy, t_ms, detect_events(xy, t_ms, est))
    assert walking["flight"] == 0.0
    assert walking["double_support"] == pytest.approx(2 * truth["duty_factor"] - 1, abs=0.08)


def test_stances_pair_each_contact_with_its_own_toe_off():
    events = GaitEvents(
        np.array([10, 20, 30, 40]),
        np.array(["left", "right", "left", "right"]),
        np.array([15, 26, 35]),
        np.array(["left", "right", "left"]),
    )
    st = stances(events)
    np.testing.assert_array_equal(st.toe_off_frames, [15, 26, 35, -1])
    np.testing.assert_array_equal(regular_steps(events, np.arange(50) * 10.0), [0, 1, 2])


@pytest.mark.parametrize("n", [0, 1, 4, 30])
def test_degenerate_input_gives_no_events(n):
    xy = np.full((n, 33, 2), np.nan)
    t_ms = np.arange(n) * 33.3
    for view in (ViewEstimate("side", 1.0, "right", 1), ViewEstimate("rear", 1.0, "away", 0), ViewEstimate()):
        events = detect_events(xy, t_ms, view)
        assert events.n_contacts == 0
        cadence = estimate_cadence(events, t_ms, xy)
        assert np.isnan(cadence.value_spm) and cadence.n_steps == 0
        assert np.isnan(gait_phase_fractions(xy, t_ms, events)["flight"])


def test_running_toe_off_moves_to_peak_knee_extension_but_walking_keeps_zeni():
    from formcam.gait.events import _toe_off_at_knee_extension

    # Running stance: 15 deg at contact (frame 10), 45 deg at midstance, 12 deg at frame 22, Zeni trough at 26.
    running = np.full(40, 30.0)
    running[10:27] = [15, 25, 35, 42, 45, 43, 38, 32, 26, 20, 16, 13, 12, 14, 18, 24, 30]
    assert _toe_off_at_knee_extension(running, np.array([10]), np.array([26])).tolist() == [22]
    walking = running.copy()
    walking[10:27] = [5, 9, 13, 15, 14, 10, 6, 4, 3, 3, 4, 8, 14, 20, 26, 32, 36]  # flexes only 10 deg
    assert _toe_off_at_knee_extension(walking, np.array([10]), np.array([26])).tolist() == [26]


def test_side_view_contacts_are_timed_between_frames():
    for fps in (60, 120, 240):
        pose = make_gait(view="side", fps=fps, overstride_pct=10, vertical_oscillation_pct=8)
        from formcam.gait.clean import clean_tracks

        cleaned = clean_tracks(pose.image_xy, pose.visibility, pose.t_ms)
        events = detect_events(cleaned.xy, pose.t_ms, detect_view(cleaned.xy), xy_unfiltered=cleaned.unfiltered)
        truth = np.array(pose.extras.truth["contact_t_ms"])
        times = events.contact_times(pose.t_ms)
        inside = (times > 200) & (times < pose.t_ms[-1] - 200)
        error = [t - truth[np.argmin(np.abs(truth - t))] for t in times[inside]]
        assert np.abs(error).max() < 4.0, fps  # ms; the low-passed peak alone is up to 18 ms early
        assert (pose.t_ms[events.contact_frames] <= times + 1e-9).all()


def test_cadence_falls_back_on_the_legs_rhythm_when_contacts_disagree():
    xy, t_ms, est, _ = _prepared(view="side", vertical_oscillation_pct=8)
    events = detect_events(xy, t_ms, est)
    keep = np.arange(events.n_contacts) % 3 != 0  # every third contact lost: irregular steps
    sparse = GaitEvents(
        events.contact_frames[keep], events.contact_sides[keep], events.toe_off_frames, events.toe_off_sides
    )
    result = estimate_cadence(sparse, t_ms, xy)
    assert result.rhythm_spm == pytest.approx(170.0, rel=0.01)
    assert result.value_spm == pytest.approx(170.0, rel=0.01)
    full = estimate_cadence(events, t_ms, xy)
    assert full.source == "contacts" and full.confidence > result.confidence


def test_contacts_a_few_percent_off_give_way_when_the_rhythm_and_the_bounce_agree():
    xy, t_ms, est, _ = _prepared(view="rear", vertical_oscillation_pct=8)
    frames = np.round(np.arange(0, t_ms[-1], 60000 / 176.0) * 60 / 1000).astype(int)  # 3.5 % fast contacts
    sides = np.where(np.arange(len(frames)) % 2 == 0, "left", "right")
    drifted = GaitEvents(frames, sides, np.zeros(0, dtype=int), np.zeros(0, dtype="<U5"))
    voted = estimate_cadence(drifted, t_ms, xy)
    assert voted.spectral_spm == pytest.approx(170.0, rel=0.01) and voted.rhythm_spm == pytest.approx(170.0, rel=0.01)
    assert voted.source == "rhythm" and voted.value_spm == pytest.approx(170.0, rel=0.005)
    alone = estimate_cadence(drifted, t_ms)  # no landmarks: nothing to cross-check against
    assert alone.source == "contacts" and alone.value_spm == pytest.approx(176.0, rel=0.005)


LEFT_FOOT = np.array([lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX])


def _feet_mixed_up_after_left_landings(pose, start_ms: float, length_ms: float) -> np.ndarray:
    """The pose's landmarks with the feet mixed up for a while after each left landing.

    MediaPipe does this on a portrait rear render (tests/e2e/test_rendered.py, ``rear_rotated``): about 20 ms
    after the left foot lands, its landmarks jump to the swinging right foot for about 80 ms and back.
    Here both feet jump to halfway between them, about as fast a jump as MediaPipe's there (1.3 and 1.7
    times the swing's top speed); a full synthetic swap, 2.6 times, raises the swing speed against which
    a landing is judged so much that every landing reads early.
    """
    t_ms, truth = pose.t_ms, pose.extras.truth
    landings = np.asarray(truth["contact_t_ms"])[np.asarray(truth["contact_sides"]) == "left"]
    since = t_ms[:, None] - landings[None, :]
    burst = ((since >= start_ms) & (since < start_ms + length_ms)).any(axis=1)
    xy = pose.image_xy.copy()
    left, right = pose.image_xy[np.ix_(burst, LEFT_FOOT)], pose.image_xy[np.ix_(burst, LEFT_FOOT + 1)]
    xy[np.ix_(burst, LEFT_FOOT)] = xy[np.ix_(burst, LEFT_FOOT + 1)] = (left + right) / 2
    return xy


@pytest.mark.parametrize("view", ["rear", "front"])
@pytest.mark.parametrize("start_ms", [20.0, 30.0])  # 30: the mix-up lasts into midstance
def test_feet_mixed_up_after_each_landing_neither_move_nor_drop_a_step(view, start_ms):
    """Each foot's own motion took the end of the mix-up for the landing (145-155 ms late).

    The hip's bounce does not.
    """
    pose = make_gait(view=view, vertical_oscillation_pct=8, jitter_px=1.0, seed=2)
    t_ms, truth = pose.t_ms, pose.extras.truth
    xy = clean_landmarks(_feet_mixed_up_after_left_landings(pose, start_ms, 80.0), pose.visibility, t_ms)
    events = detect_events(xy, t_ms, detect_view(xy))
    assert events.method == "midstance"
    found, found_sides = events.contact_times(t_ms), events.contact_sides
    true, true_sides = np.asarray(truth["contact_t_ms"]), np.asarray(truth["contact_sides"])
    for times, sides, others, other_sides in (
        (true, true_sides, found, found_sides),  # none missed
        (found, found_sides, true, true_sides),
    ):  # none added
        inside = (times > 150) & (times < t_ms[-1] - 150)
        for time, side in zip(times[inside], sides[inside]):
            assert np.min(np.abs(others[other_sides == side] - time)) <= 50.0, (side, time)  # three frames
    assert estimate_cadence(events, t_ms, xy).value_spm == pytest.approx(170.0, rel=0.005)


def test_midstances_are_the_hips_lowest_points_once_per_step():
    pose = make_gait(view="rear", vertical_oscillation_pct=6, jitter_px=1.0, seed=3)
    t_ms, truth = pose.t_ms, pose.extras.truth
    xy = clean_landmarks(pose.image_xy, pose.visibility, t_ms)
    contacts = np.asarray(truth["contact_t_ms"])
    toe_offs = np.asarray(truth["toe_off_t_ms"])
    toe_offs = toe_offs[np.searchsorted(toe_offs, contacts[0]) :][: len(contacts)]
    true = (contacts[: len(toe_offs)] + toe_offs) / 2
    true = true[(true > 100) & (true < t_ms[-1] - 100)]
    found = t_ms[midstance_frames(xy, t_ms, 60000.0 / 170.0)]
    assert len(found) == len(true)
    assert np.abs(found - true).max() <= 1.5 * 1000 / 60


def test_a_hip_lowest_in_double_support_leaves_each_foot_to_its_own_motion():
    """Walking vaults over the stance leg and is lowest with both feet down: no running midstance there."""
    pose = make_gait(view="rear", flight=False, vertical_oscillation_pct=8)
    xy, t_ms = pose.image_xy.copy(), pose.t_ms
    half_step = int(round(60000.0 / 170.0 / 2 * 60 / 1000))
    hips = [lm.LEFT_HIP, lm.RIGHT_HIP]
    xy[:-half_step, hips, 1] = pose.image_xy[half_step:, hips, 1]  # the bounce moved half a step earlier
    xy, t_ms = xy[:-half_step], t_ms[:-half_step]
    xy = clean_landmarks(xy, pose.visibility[:-half_step], t_ms)
    events = detect_events(xy, t_ms, detect_view(xy))
    assert events.method == "foot_motion"
    truth = pose.extras.truth
    _match(
        events.contact_frames,
        events.contact_sides,
        truth["contact_t_ms"],
        truth["contact_sides"],
        60,
        2.5,
        n_frames=len(t_ms),
    )


def test_frontal_running_whose_feet_hide_the_flight_is_still_running():
    """Steps timed at the hip's lowest points with a foot in the air are running unless both feet are clearly down."""
    from formcam.gait.kinematics import running_decision

    xy, t_ms, est, _ = _prepared(view="rear", vertical_oscillation_pct=8)
    frames = np.arange(10, 580, 21)
    sides = np.where(np.arange(len(frames)) % 2 == 0, "left", "right")
    blurred = {"flight": 0.0, "double_support": 0.03}
    for method, running in (("midstance", True), ("foot_motion", False)):
        events = GaitEvents(frames, sides, frames + 12, sides, method)
        assert running_decision(xy, t_ms, est, events, blurred)[0] is running
    walking = running_decision(
        xy,
        t_ms,
        est,
        GaitEvents(frames, sides, frames + 30, sides, "midstance"),
        {"flight": 0.0, "double_support": 0.25},
    )
    assert walking[0] is False and "walking" in walking[1]
