"""formcam's kinematics against a runner it did not make (issue 20, point 1: independent truth).

The runner comes from :mod:`tests.helpers.independent_gait`, which shares no code with formcam: published
joint-angle curves of 46 runners (Fukuchi, Duarte & Ferber, CC BY 4.0, read from the shared data folder),
Winter's segment lengths and cited literature values, written as a pose file with ``numpy.savez`` and read
back with formcam's :func:`~formcam.pose.posefile.load_pose`.  The truth comes from the metric definitions
(docs/design.md) on the generator's own geometry.

Tolerances (issue 3): clean data, cadence within 0.5 %, angles within 1 degree, percentages within 1 point;
pose-model-like noise, 2 degrees / 2 points and cadence within 1 %.  Values read at foot contact below 50 fps
get formcam's own allowance, 2.5 degrees (tests/unit/gait/test_kinematics.py; docs/accuracy.md says why: a
frame there lasts 33-42 ms, in which the knee flexes by several degrees).

Where formcam disagrees with the definition the definition decides: a test that fails today is kept and
marked ``xfail(strict=True)`` with what is wrong and what was measured, so the suite stays green, the
failure stays visible, and fixing it turns the mark into an error that asks for its removal.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from formcam.gait.kinematics import analyse_pose
from formcam.pose.posefile import load_pose
from tests.helpers import independent_gait as ig

FPS = [24, 30, 60, 120, 240]
NOISY_FPS = [30, 60, 120]
#: Pose-model-like noise: MediaPipe's hips jitter by +-2-3 px on a runner about 900 px tall
#: (docs/metrics-research.md M9);
#: lost poses and single lost landmarks as on phone clips.
NOISE = dict(jitter_px=2.4, dropout_fraction=0.05, landmark_dropout_fraction=0.01)
SIDE_POSTURE = ["head_forward_deg", "trunk_forward_lean_deg"]
SIDE_PCT = ["head_forward_pct", "vertical_oscillation_pct"]
# Pelvic drop is measured from two pelvis stickers (issue 21), which this generator does not draw: without them
# it is null with its reason (test_pelvic_drop_without_stickers_is_null_with_its_reason).
FRONTAL_ANGLES = ["shoulder_dip_deg", "trunk_lateral_lean_deg"]
FRONTAL_PCT = ["vertical_oscillation_pct", "arm_crossover_pct"]
RUNNER = ig.Runner(arm_crossover_pct=8.0)


def _xfail(reason: str):
    return pytest.mark.xfail(strict=True, reason=f"issue 20: {reason}")


@pytest.fixture(scope="module")
def curves():
    """The published curves, from the shared folder: missing fails under CI (variable set), else skips (conftest)."""
    path = ig.curves_path()
    if not path.exists():
        message = f"{path} is missing: the independent truth needs the shared running curves"
        pytest.fail(message) if os.environ.get("FORMCAM_VIDEOS_DIR") else pytest.skip(message)
    return ig.load_curves(path)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, curves):
    """A function: generator arguments -> (clip, pose, Kinematics), each clip made and analysed once."""
    cache: dict = {}
    folder = tmp_path_factory.mktemp("independent")
    curves_path = ig.curves_path()

    def get(**kwargs):
        key = tuple(sorted((k, repr(v)) for k, v in kwargs.items()))
        if key not in cache:
            runner = kwargs.pop("runner", RUNNER)
            group = kwargs.pop("group", "ALL")
            chosen = curves if group == "ALL" else ig.load_curves(curves_path, group=group)
            clip = ig.make_clip(folder / f"clip{len(cache)}.npz", runner=runner, curves=chosen, **kwargs)
            pose = load_pose(clip.path)
            cache[key] = (clip, pose, analyse_pose(pose))
        return cache[key]

    return get


def _value(kin, name: str) -> float:
    result = kin.metrics[name]
    assert result.value is not None, (name, result.reason)
    return result.value


def _assert_metric(kin, truth: dict, name: str, tol: float, side_tol: float | None = None) -> None:
    """``value`` within ``tol`` of the truth, each side's median within ``side_tol`` (default ``tol``)."""
    side_tol = tol if side_tol is None else side_tol
    result = kin.metrics[name]
    got = (_value(kin, name), result.left, result.right)
    assert abs(got[0] - truth[name]) <= tol, f"{name}: truth {truth[name]:.2f}, formcam {got}"
    for side_value in got[1:]:
        if side_value is not None:
            assert abs(side_value - truth[name]) <= side_tol, f"{name}: truth {truth[name]:.2f}, formcam {got}"


def _event_offsets_ms(truth_events, sides, times_ms) -> np.ndarray:
    """Detected minus true time of each detected event (same side, nearest), ms."""
    true_t = np.array([t for _, t in truth_events])
    true_s = np.array([s for s, _ in truth_events])
    out = []
    for side, t in zip(sides, times_ms):
        mine = true_t[true_s == side]
        out.append(t - mine[np.argmin(np.abs(mine - t))])
    return np.array(out)


def _contact_tol(fps: float) -> float:
    return 1.0 if fps >= 50 else 2.5


# ------------------------------------------------------------------------------------- the generator itself
def test_the_generator_imports_nothing_from_formcam():
    source = open(ig.__file__).read()
    imports = [line for line in source.splitlines() if line.startswith(("import ", "from "))]
    assert not [line for line in imports if "formcam" in line], imports


def test_the_generated_geometry_matches_its_truth_and_stays_on_the_ground(analysed, curves):
    """The truth agrees with the generated pixels, the stance foot is on the ground, no foot goes under it."""
    clip, pose, _ = analysed(view="side", fps=60)
    truth, m = clip.truth, clip.model
    assert pose.image_xy.shape == (600, 33, 2) and pose.t_ms.dtype == np.float64
    # Knee flexion at contact is the published curve at 0 % (touchdown), on both legs; the legs are alike.
    assert truth["knee_flexion_contact_deg"] == pytest.approx(curves.raw["knee_flexion"][0], abs=1e-6)
    for name, value in truth["per_side"]["left"].items():
        assert truth["per_side"]["right"][name] == pytest.approx(value, abs=1e-3), name
    assert len(truth["per_contact"]) == len(truth["contacts"])
    # The truth's knee and shin angles at a contact, recomputed from the (noise-free) pixels at that instant.
    side, t_ms = next((s, t) for s, t in truth["contacts"] if t > 1000)
    xy = clip.true_xy(np.array([t_ms / 1000.0]))[0]
    hip, knee, ankle, heel = (xy[i] for i in ((23, 25, 27, 29) if side == "left" else (24, 26, 28, 30)))
    assert _knee_flexion(hip, knee, ankle) == pytest.approx(truth["knee_flexion_contact_deg"], abs=1e-6)
    assert _shank(knee, ankle, 1) == pytest.approx(truth["shank_angle_contact_deg"], abs=1e-6)
    mid_hip_x = (xy[23, 0] + xy[24, 0]) / 2
    leg_px = truth["leg_length_m"] * clip.px_per_m
    assert 100 * (heel[0] - mid_hip_x) / leg_px == pytest.approx(truth["overstride_pct"], abs=1e-6)
    # Feet: on the ground at touchdown and through stance, never below it (1 mm: the flight's cubic).
    ts = np.linspace(1.0, 1.0 + m.stride_s, 3001)
    P = m.positions(ts)
    low = np.minimum(np.minimum(P[:, 29, 2], P[:, 31, 2]), P[:, 27, 2])
    assert low.min() > -1e-3
    stance = m.phase(ts, "left") < m.r.toe_off_fraction
    assert np.abs(low[stance]).max() < 1e-3
    assert truth["contact_foot_height_m"] == pytest.approx(0.0, abs=1e-9)
    # Flight (neither foot down) between each toe-off and the other foot's contact: the gait is running.
    low_r = np.minimum(P[:, 30, 2], P[:, 32, 2])
    both_up = (low > 2e-3) & (low_r > 2e-3)
    assert 0.05 < both_up.mean() < 0.25
    # Plausible magnitudes (norms quoted in docs/metrics-research.md).
    assert 4 < truth["vertical_oscillation_pct"] < 12 and 0.4 * 1.75 < truth["leg_length_m"] < 0.55 * 1.75


def _knee_flexion(hip, knee, ankle) -> float:
    a, b = hip - knee, ankle - knee
    return 180.0 - np.degrees(np.arccos(np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)))


def _shank(knee, ankle, facing) -> float:
    d = ankle - knee
    return float(np.degrees(np.arctan2(d[0] * facing, d[1])))


# ------------------------------------------------------------------------------------- side view, clean
@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("direction", ["right", "left"])
def test_clean_side_view_cadence_and_postures(analysed, direction, fps):
    clip, _, kin = analysed(view="side", direction=direction, fps=fps)
    truth = clip.truth
    assert (kin.view.label, kin.view.direction) == ("side", direction) and kin.is_running
    assert kin.cadence.value_spm == pytest.approx(truth["cadence_spm"], rel=0.005)
    for name in SIDE_POSTURE:
        _assert_metric(kin, truth, name, 1.0)
    for name in SIDE_PCT:
        _assert_metric(kin, truth, name, 1.0)


CONTACTS_EARLY = (
    "values are read at the contact's time, and side-view contacts come 13 ms early at 60 fps and above "
    "(the heel's reach peaks 30 ms before touchdown and the fitted stance line meets that height 10-13 ms early); "
)
KNEE_LOW = _xfail(CONTACTS_EARLY + "the knee, flexing through contact, reads 1.0-1.8 degrees low (24 fps: 2.6)")
SHANK_HIGH = _xfail(CONTACTS_EARLY + "the shank, swinging back through contact, reads 2.1-2.3 degrees forward")
OVERSTRIDE_EARLY = _xfail(
    CONTACTS_EARLY + "the foot, retracting through contact, reads 3-4 points ahead (30 fps: 0.7 points)"
)
TIMED_RIGHT_AT = {30}  # fps where the contacts land within a few ms of the truth


def _at_contact_cases():
    for name, mark in (
        ("knee_flexion_contact_deg", KNEE_LOW),
        ("shank_angle_contact_deg", SHANK_HIGH),
        ("overstride_pct", OVERSTRIDE_EARLY),
    ):
        for direction in ("right", "left"):
            for fps in FPS:
                passes = fps in TIMED_RIGHT_AT and name != "overstride_pct"
                yield pytest.param(name, direction, fps, marks=() if passes else mark)


@pytest.mark.parametrize("name, direction, fps", list(_at_contact_cases()))
def test_clean_side_view_values_at_contact(analysed, name, direction, fps):
    clip, _, kin = analysed(view="side", direction=direction, fps=fps)
    _assert_metric(kin, clip.truth, name, _contact_tol(fps) if name.endswith("_deg") else 1.0)


# ------------------------------------------------------------------------------------- rear and front, clean
@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("view", ["rear", "front"])
def test_clean_frontal_views_cadence_and_frontal_metrics(analysed, view, fps):
    clip, _, kin = analysed(view=view, fps=fps)
    truth = clip.truth
    assert kin.view.label == view
    assert kin.cadence.value_spm == pytest.approx(truth["cadence_spm"], rel=0.005)
    for name in FRONTAL_ANGLES:
        _assert_metric(kin, truth, name, 1.0)
    for name in FRONTAL_PCT:
        _assert_metric(kin, truth, name, 1.0)


@pytest.mark.parametrize("view", ["rear", "front"])
def test_pelvic_drop_without_stickers_is_null_with_its_reason(analysed, view):
    _, _, kin = analysed(view=view, fps=60)
    result = kin.metrics["pelvic_drop_deg"]
    assert result.value is None and "hip points do not follow the pelvis" in result.reason


@_xfail(
    "a clean rear or front view of this run (22 % flight) is called walking: contacts found 67-94 ms early and "
    "toe-offs 12-54 ms late make 'flight 0 %, both feet down 15-20 %'; with pose noise the same run is called "
    "running (the 'midstance' rule)"
)
@pytest.mark.parametrize("fps", FPS)
@pytest.mark.parametrize("view", ["rear", "front"])
def test_clean_frontal_views_are_called_running(analysed, view, fps):
    clip, _, kin = analysed(view=view, fps=fps)
    assert kin.is_running, (kin.not_running_reason, kin.phase_fractions)


# ------------------------------------------------------------------------------------- noise
@pytest.mark.parametrize("fps", NOISY_FPS)
@pytest.mark.parametrize("direction", ["right", "left"])
def test_noisy_side_view_within_two_units(analysed, direction, fps):
    clip, _, kin = analysed(view="side", direction=direction, fps=fps, duration_s=12, seed=fps, **NOISE)
    truth = clip.truth
    assert kin.view.direction == direction
    assert kin.cadence.value_spm == pytest.approx(truth["cadence_spm"], rel=0.01)
    for name in SIDE_POSTURE + SIDE_PCT:
        _assert_metric(kin, truth, name, 2.0, side_tol=2.5)


NOISY_KNEE_LOW = _xfail("knee flexion at contact with noise, left leg at 30 fps: 2.3 degrees low")
NOISY_SHANK_HIGH = _xfail(CONTACTS_EARLY + "with noise the shank reads 2.0-2.5 degrees forward at 60 and 120 fps")
NOISY_OVERSTRIDE = _xfail(CONTACTS_EARLY + "with noise the foot reads 2-4 points ahead")


def _noisy_contact_cases():
    failing = {
        "knee_flexion_contact_deg": (NOISY_KNEE_LOW, {("left", 30)}),
        "shank_angle_contact_deg": (NOISY_SHANK_HIGH, {(d, f) for d in ("right", "left") for f in (60, 120)}),
        "overstride_pct": (NOISY_OVERSTRIDE, {(d, f) for d in ("right", "left") for f in NOISY_FPS}),
    }
    for name, (mark, cases) in failing.items():
        for direction in ("right", "left"):
            for fps in NOISY_FPS:
                yield pytest.param(name, direction, fps, marks=mark if (direction, fps) in cases else ())


@pytest.mark.parametrize("name, direction, fps", list(_noisy_contact_cases()))
def test_noisy_side_view_values_at_contact_within_two_units(analysed, name, direction, fps):
    clip, _, kin = analysed(view="side", direction=direction, fps=fps, duration_s=12, seed=fps, **NOISE)
    _assert_metric(kin, clip.truth, name, 2.0, side_tol=2.5)


@pytest.mark.parametrize("fps", NOISY_FPS)
@pytest.mark.parametrize("view", ["rear", "front"])
def test_noisy_frontal_views_within_two_units(analysed, view, fps):
    clip, _, kin = analysed(view=view, fps=fps, duration_s=12, seed=fps, **NOISE)
    truth = clip.truth
    assert kin.view.label == view
    assert kin.cadence.value_spm == pytest.approx(truth["cadence_spm"], rel=0.01)
    for name in FRONTAL_ANGLES + FRONTAL_PCT:
        _assert_metric(kin, truth, name, 2.0, side_tol=2.5)


# ------------------------------------------------------------------------------------- other cadences, frame rates
@pytest.mark.parametrize("cadence", [150.0, 190.0])
@pytest.mark.parametrize("view", ["side", "rear"])
def test_cadence_of_other_speeds_to_half_a_percent(analysed, view, cadence):
    clip, _, kin = analysed(view=view, fps=60, runner=ig.Runner(cadence_spm=cadence, arm_crossover_pct=8.0))
    assert kin.cadence.value_spm == pytest.approx(cadence, rel=0.005)


@pytest.mark.parametrize("fps2", [30, 15])
@pytest.mark.parametrize("view", ["side", "rear"])
def test_variable_frame_rate_keeps_cadence_and_postures(analysed, view, fps2):
    """60 fps, then ``fps2`` from 5 s on, true timestamps (before: 96-120 steps/min for 170)."""
    clip, pose, kin = analysed(view=view, fps=60, duration_s=12, vfr=(fps2, 5.0))
    assert np.diff(pose.t_ms)[-1] == pytest.approx(1000.0 / fps2)
    assert kin.cadence.value_spm == pytest.approx(clip.truth["cadence_spm"], rel=0.005)
    names = SIDE_POSTURE + ["head_forward_pct"] if view == "side" else FRONTAL_ANGLES
    for name in names:
        _assert_metric(kin, clip.truth, name, 1.0)
    assert "variable_frame_rate" in {q.code for q in kin.quality}


@pytest.mark.parametrize(
    "fps2",
    [
        30,
        pytest.param(
            15,
            marks=_xfail(
                "vertical oscillation 6.5-6.6 % for 7.76: at 15 fps the hip's highest and lowest points fall "
                "between frames 67 ms apart, and the even frame times interpolate straight across them"
            ),
        ),
    ],
)
@pytest.mark.parametrize("view", ["side", "rear"])
def test_variable_frame_rate_keeps_the_bounce(analysed, view, fps2):
    clip, _, kin = analysed(view=view, fps=60, duration_s=12, vfr=(fps2, 5.0))
    _assert_metric(kin, clip.truth, "vertical_oscillation_pct", 1.0)


# ------------------------------------------------------------------------------------- other runners
OTHER_FRONTAL = [
    ig.Runner(pelvic_drop_deg=10.0, shoulder_dip_deg=-2.0, trunk_lateral_lean_deg=5.0, arm_crossover_pct=0.0),
    ig.Runner(
        pelvic_drop_deg=3.0,
        shoulder_dip_deg=5.0,
        trunk_lateral_lean_deg=-1.5,
        arm_crossover_pct=15.0,
        cadence_spm=182.0,
        step_width_m=0.10,
    ),
]


@pytest.mark.parametrize("runner", range(len(OTHER_FRONTAL)))
@pytest.mark.parametrize("view", ["rear", "front"])
def test_other_frontal_runners(analysed, view, runner):
    """A large drop with the shoulders dipping on the swing side and arms not crossing; a small drop, leaning
    away from the stance leg, arms crossing, a wide step."""
    clip, _, kin = analysed(view=view, fps=60, runner=OTHER_FRONTAL[runner])
    assert kin.cadence.value_spm == pytest.approx(clip.truth["cadence_spm"], rel=0.005)
    for name in FRONTAL_ANGLES:
        _assert_metric(kin, clip.truth, name, 1.0)
    for name in FRONTAL_PCT:
        _assert_metric(kin, clip.truth, name, 1.0)


OTHER_SIDE = [
    dict(group="BMC", runner=ig.Runner(trunk_forward_lean_deg=12.0, head_forward_deg=25.0, cadence_spm=185.0)),
    dict(
        group="RIC",
        runner=ig.Runner(
            trunk_forward_lean_deg=3.0, head_forward_deg=5.0, cadence_spm=158.0, pelvic_tilt_deg=5.0, height_m=1.62
        ),
    ),
]


@pytest.mark.parametrize("case", range(len(OTHER_SIDE)))
@pytest.mark.parametrize("direction", ["right", "left"])
def test_other_side_runners_postures(analysed, direction, case):
    """The other lab's curves (BMC, RIC), other leans, cadences, heights and a tilted pelvis."""
    clip, _, kin = analysed(view="side", direction=direction, fps=60, **OTHER_SIDE[case])
    assert kin.cadence.value_spm == pytest.approx(clip.truth["cadence_spm"], rel=0.005)
    for name in SIDE_POSTURE:
        _assert_metric(kin, clip.truth, name, 1.0)
    for name in SIDE_PCT:
        _assert_metric(kin, clip.truth, name, 1.0)


@_xfail(
    CONTACTS_EARLY
    + "values at contact off for other runners too (60 fps); measured, truth vs formcam: knee 11.56 vs 10.06 "
    "(BMC), 10.15 vs 7.92 (RIC); shank 12.45 vs 14.46, 6.28 vs 9.28; overstride 27.12 vs 29.72, 14.63 vs 20.00"
)
@pytest.mark.parametrize("case", range(len(OTHER_SIDE)))
@pytest.mark.parametrize("name", ["knee_flexion_contact_deg", "shank_angle_contact_deg", "overstride_pct"])
def test_other_side_runners_values_at_contact(analysed, name, case):
    clip, _, kin = analysed(view="side", fps=60, **OTHER_SIDE[case])
    _assert_metric(kin, clip.truth, name, 1.0)


# ------------------------------------------------------------------------------------- event timing
@pytest.mark.parametrize(
    "view",
    [
        "side",
        pytest.param(
            "rear",
            marks=_xfail(
                "rear-view contacts early: measured -91 ms median (-94 to -82 ms) at 60 fps; the landing foot "
                "hovers within 2 cm of the ground for its last 60 ms"
            ),
        ),
        pytest.param(
            "front", marks=_xfail("front-view contacts early: measured -91 ms median (-94 to -82 ms) at 60 fps")
        ),
    ],
)
def test_contacts_within_one_frame_at_60_fps(analysed, view):
    clip, pose, kin = analysed(view=view, fps=60)
    t_ms = np.asarray(pose.t_ms)
    detected = kin.events.contact_times(t_ms)
    assert kin.events.n_contacts >= 26  # 10 s at 170 steps/min: 28 contacts
    offsets = _event_offsets_ms(clip.truth["contacts"], kin.events.contact_sides, detected)
    assert np.abs(offsets).max() <= 1000.0 / 60, (
        f"contact offsets ms: median {np.median(offsets):.1f}, range {offsets.min():.1f} to {offsets.max():.1f}"
    )


@pytest.mark.parametrize(
    "view",
    [
        pytest.param(
            "side",
            marks=_xfail(
                "side-view toe-offs: the clip's first is 124 ms late, the others -2 to -17 ms (median -9 ms) at 60 fps"
            ),
        ),
        pytest.param(
            "rear",
            marks=_xfail(
                "rear-view toe-offs late: measured +40 ms median (+32 to +48 ms) at 60 fps; "
                "the model's trailing foot is only 3 mm (1 px) up 40 ms after toe-off, so "
                "part of this may be the model's gentle lift-off"
            ),
        ),
        pytest.param(
            "front",
            marks=_xfail("front-view toe-offs late: measured +40 ms median (+32 to +48 ms) at 60 fps (as rear)"),
        ),
    ],
)
def test_toe_offs_within_one_frame_at_60_fps(analysed, view):
    clip, pose, kin = analysed(view=view, fps=60)
    t_ms = np.asarray(pose.t_ms)
    assert len(kin.events.toe_off_frames) >= 26
    offsets = _event_offsets_ms(clip.truth["toe_offs"], kin.events.toe_off_sides, t_ms[kin.events.toe_off_frames])
    assert np.abs(offsets).max() <= 1000.0 / 60, (
        f"toe-off offsets ms: median {np.median(offsets):.1f}, range {offsets.min():.1f} to {offsets.max():.1f}"
    )


# ------------------------------------------------------------------------------------- property: values at contact
# No shrinking: one clip is the smallest example, and a failure's message already says what was read.
PROPERTY = settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _true_signal(clip, name: str, side: str, t_ms: np.ndarray) -> np.ndarray:
    """The definition's signal on the noise-free pixels at times ``t_ms`` (this file's own geometry)."""
    xy = clip.true_xy(t_ms / 1000.0)
    facing = 1 if clip.direction == "right" else -1
    hip, knee, ankle, heel = (23, 25, 27, 29) if side == "left" else (24, 26, 28, 30)
    if name == "knee_flexion_contact_deg":
        return np.array([_knee_flexion(xy[i, hip], xy[i, knee], xy[i, ankle]) for i in range(len(xy))])
    if name == "shank_angle_contact_deg":
        return np.array([_shank(xy[i, knee], xy[i, ankle], facing) for i in range(len(xy))])
    leg_px = clip.truth["leg_length_m"] * clip.px_per_m
    return 100.0 * (xy[:, heel, 0] - (xy[:, 23, 0] + xy[:, 24, 0]) / 2) * facing / leg_px


def _check_values_at_contacts(analysed, name, cadence, fps, first_contact_s, direction):
    runner = ig.Runner(cadence_spm=cadence, first_contact_s=first_contact_s)
    clip, pose, kin = analysed(view="side", direction=direction, fps=fps, duration_s=6, runner=runner)
    frame_ms = 1000.0 / fps
    contacts = clip.truth["contacts"]
    steps = kin.metrics[name].per_step
    assert len(steps) >= 8
    outside = []
    for step in steps:
        mine = np.array([t for s, t in contacts if s == step["side"]])
        t_true = mine[np.argmin(np.abs(mine - step["t_ms"]))]
        signal = _true_signal(clip, name, step["side"], np.linspace(t_true - frame_ms, t_true + frame_ms, 201))
        if not signal.min() - 1e-6 <= step["value"] <= signal.max() + 1e-6:
            outside.append((round(step["value"], 2), round(signal.min(), 2), round(signal.max(), 2)))
    assert not outside, (
        f"{name} at {fps} fps: value outside the signal's range within a frame of contact: {outside[:4]}"
    )


CASES = dict(
    cadence=st.floats(150.0, 190.0),
    fps=st.sampled_from(FPS),
    first_contact_s=st.floats(0.0, 0.7),
    direction=st.sampled_from(["right", "left"]),
)


@_xfail(
    CONTACTS_EARLY + "the knee at contact is read below the knee's smallest flexion within a frame either side "
    "of the true contact (e.g. 5.2-7.1 vs 9.75-22.35 at 24 fps)"
)
@PROPERTY
@given(**CASES)
def test_knee_flexion_at_contact_lies_within_the_signal_a_frame_either_side(
    analysed, cadence, fps, first_contact_s, direction
):
    _check_values_at_contacts(analysed, "knee_flexion_contact_deg", cadence, fps, first_contact_s, direction)


@_xfail(
    CONTACTS_EARLY + "the shank angle at contact is read beyond the largest the shank takes within a frame "
    "either side of the true contact (e.g. 15.2-16.5 vs 0.24-14.01 at 24 fps)"
)
@PROPERTY
@given(**CASES)
def test_shank_angle_at_contact_lies_within_the_signal_a_frame_either_side(
    analysed, cadence, fps, first_contact_s, direction
):
    _check_values_at_contacts(analysed, "shank_angle_contact_deg", cadence, fps, first_contact_s, direction)


@_xfail(
    CONTACTS_EARLY + "overstride is read beyond the largest the foot reaches within a frame either side of the "
    "true contact (e.g. 30.6-31.9 vs 12.9-29.7 % at 24 fps)"
)
@PROPERTY
@given(**CASES)
def test_overstride_at_contact_lies_within_the_signal_a_frame_either_side(
    analysed, cadence, fps, first_contact_s, direction
):
    _check_values_at_contacts(analysed, "overstride_pct", cadence, fps, first_contact_s, direction)
