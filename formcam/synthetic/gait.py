"""Exact synthetic gaits: pose sequences with known cadence, posture and events.

:func:`make_gait` builds a :class:`~formcam.pose.posefile.PoseSequence` of a runner
(or walker) on a treadmill, seen from the side, the rear or the front, whose
true parameters are known.  The kinematics core must recover them; the tests in
``tests/unit/gait/test_kinematics.py`` check that it does.

The model
---------
The body is built in a 3-D body frame ``(forward, lateral-right, up)`` in
pixels, then projected orthographically onto the image:

* side view: ``x = cx + forward * facing``, ``y = ground_y - up``;
* rear view (camera behind the runner): ``x = cx + lateral``;
* front view: ``x = cx - lateral``.

Segment lengths are fractions of the runner's height (Winter's anthropometric
table, rounded).  Time enters through the stride phase ``p`` of each leg
(``p = 0`` at that leg's initial contact, stance while ``p < duty``):

* **Feet.**  In stance the foot is flat on the ground and slides backwards
  linearly (a treadmill belt) from ``overstride`` ahead of the mid-hip; in
  swing it returns with a half-cosine and lifts with a half-sine, coming
  down at the end as fast as the hip descends, so that the leg is still just
  before contact and the knee's flexion turns sharply upwards at contact (a
  hockey stick, as in running) instead of passing through a V.  Contact is
  the maximum, and toe-off the minimum, of the foot's forward position
  relative to the mid-hip (Zeni et al. 2008), exactly.
* **Knees** come from two-link inverse kinematics (thigh, shank); the hip
  height is solved so that the knee flexion at contact equals
  ``knee_flexion_contact_deg``.  Where the hip-ankle distance exceeds the leg,
  the knee is straight and the shank stretches (a model simplification).
* **Pelvis.**  The mid-hip rises and falls once per step, lowest at midstance
  (``vertical_oscillation_pct``).  The hip line tilts once per stride, the
  swing-side hip lowest at each midstance by ``pelvic_drop_deg``.
* **Trunk.**  The mid-hip to mid-shoulder vector leans forward by
  ``trunk_forward_lean_deg`` (constant) and towards the stance side by
  ``trunk_lateral_lean_deg`` (peak at midstance); the shoulder line tilts,
  stance side lowest, by ``shoulder_dip_deg`` and counter-rotates slightly.
* **Head.**  The mid-ear sits ``head_forward_pct`` % of the trunk length ahead
  of the mid-shoulder and a neck length above it.
* **Arms** swing opposite to the legs; in rear/front views each wrist crosses
  the midline by ``arm_crossover_pct`` % of the shoulder width at its most
  forward point.

The components are built so that every image-plane angle the metric
definitions use equals its parameter exactly (e.g. the lateral lean's lateral
component is scaled by the forward lean's cosine so that the rear-view angle
is exact).  ``extras.truth`` holds the true contact and toe-off times and
the values the metric definitions give *for this view*, computed by evaluating
the same model at the exact event times; the leg length used for
``vertical_oscillation_pct`` and ``overstride_pct`` is the side-view hip to
ankle distance at midstance, so in rear/front views (where the forward part of
that distance is hidden) ``truth["vertical_oscillation_pct"]`` is larger than
the parameter.

The noise model
---------------
:func:`make_gait`'s noise keywords are those of
:func:`formcam.synthetic.noise.add_pose_noise`, which imitates a real pose
model's errors on a clean sequence (``jitter_px``, ``dropout_fraction``,
``skipped_frame_fraction``, ``swap_rate_hz``, ``swap_burst_ms``,
``camera_roll_deg``, ``visibility_noise``);
:data:`formcam.synthetic.noise.REALISTIC_NOISE` sets all of them to levels
like MediaPipe's on a phone clip.

The truth is unaffected by the noise: ``extras.truth`` still gives the
clean model's events and values, so the difference is the error formcam makes.
"""

from __future__ import annotations

import numpy as np

from formcam.gait.view import CLEAR_VIEWS, View
from formcam.pose import landmarks as lm
from formcam.pose.posefile import PoseExtras, PoseSequence
from formcam.synthetic.noise import add_pose_noise, rolled

# Segment lengths as fractions of standing height (Winter 2009, rounded).
THIGH = 0.245
SHANK = 0.246
ANKLE_HEIGHT = 0.039
HEEL_BEHIND_ANKLE = 0.04
TOE_AHEAD_OF_ANKLE = 0.11
TRUNK = 0.288  # mid-hip to mid-shoulder
NECK = 0.11  # mid-shoulder to ear, vertical
HIP_WIDTH = 0.10  # between hip joint centres
# The posterior superior iliac spines (where the pelvis stickers go), fractions of height from the mid-hip
# along the pelvis's own axes: half their separation (about 9 cm apart), above and behind the hip joints.
PSIS_HALF_SEPARATION = 0.026
PSIS_ABOVE_HIPS = 0.04
PSIS_BEHIND_HIPS = 0.062
SHOULDER_WIDTH = 0.23
EAR_WIDTH = 0.08
UPPER_ARM = 0.186
FOREARM = 0.146

#: Fraction of the stride a foot is on the ground.
RUNNING_DUTY = 0.35
WALKING_DUTY = 0.62


def make_gait(
    *,
    view: str = "side",
    direction: str = "right",
    cadence_spm: float = 170.0,
    fps: float = 60.0,
    duration_s: float = 10.0,
    pelvic_drop_deg: float = 0.0,
    pelvic_drop_right_deg: float | None = None,
    shoulder_dip_deg: float = 0.0,
    head_forward_pct: float = 0.0,
    trunk_forward_lean_deg: float = 0.0,
    trunk_lateral_lean_deg: float = 0.0,
    vertical_oscillation_pct: float = 0.0,
    overstride_pct: float = 0.0,
    knee_flexion_contact_deg: float | None = None,
    arm_crossover_pct: float = -10.0,
    runner_height_px: float = 600.0,
    frame_size: tuple[int, int] = (1280, 720),
    flight: bool = True,
    running_in_place: bool = False,
    jitter_px: float = 0.0,
    dropout_fraction: float = 0.0,
    skipped_frame_fraction: float = 0.0,
    swap_rate_hz: float = 0.0,
    swap_burst_ms: tuple[float, float] = (20.0, 150.0),
    camera_roll_deg: float = 0.0,
    visibility_noise: float = 0.0,
    seed: int = 0,
    markers: bool = False,
    marker_jitter_px: float = 0.0,
) -> PoseSequence:
    """Synthesise a treadmill gait with known parameters.

    Parameters
    ----------
    view : {'side', 'rear', 'front'}
        Camera position.
    direction : {'right', 'left'}
        Side view only: the image direction the runner faces.
    cadence_spm : float
        Steps (both feet) per minute.
    fps, duration_s : float
        Frame rate (frames/s) and clip length (s); timestamps are regular.
    pelvic_drop_deg, shoulder_dip_deg, trunk_lateral_lean_deg : float
        Frontal-plane peaks at each midstance (see :mod:`formcam.gait.metrics`);
        ``pelvic_drop_deg`` in left stance (the right side dropping).
    pelvic_drop_right_deg : float, optional
        The pelvic drop in right stance; None: ``pelvic_drop_deg``.
    head_forward_pct : float
        Ear ahead of the shoulder, % of trunk length.
    trunk_forward_lean_deg : float
        Constant forward lean of the trunk from vertical.
    vertical_oscillation_pct : float
        Peak-to-trough mid-hip travel per step, % of (side-view) leg length.
    overstride_pct : float
        Heel ahead of the mid-hip at contact, % of (side-view) leg length.
    knee_flexion_contact_deg : float, optional
        180 minus the hip-knee-ankle angle at contact; default 20 (running)
        or 5 (walking).
    arm_crossover_pct : float
        Peak wrist crossing of the midline, % of shoulder width (negative:
        the wrist stays on its own side).
    runner_height_px : float
        Standing height in pixels; sets every segment length.
    frame_size : (int, int)
        Image ``(width, height)``.
    flight : bool
        True: running (flight phases); False: walking (double support).
    running_in_place : bool
        The feet land under the hips and do not sweep back (no treadmill
        belt, no forward travel): running on the spot.
    jitter_px, dropout_fraction, skipped_frame_fraction, swap_rate_hz, swap_burst_ms, camera_roll_deg, visibility_noise
        The noise model; see :func:`add_pose_noise`.  All zero: exact data.
    seed : int
        Seed of the noise.
    markers : bool
        Also give the two pelvis stickers' tracks (``markers_xy``: the
        PSIS points, :func:`psis_points`), rolled with the camera and with
        the same skipped frames, but without the landmarks' other noise.
    marker_jitter_px : float
        Gaussian noise added to each marker centre, px.

    Returns
    -------
    PoseSequence
        ``visibility`` is 1 where a pose is present, ``world_xyz`` is NaN,
        ``extras.truth`` holds the true parameters, event times
        (``contact_t_ms``/``contact_sides``, ``toe_off_t_ms``/``toe_off_sides``)
        and the values the metric definitions give for this view.
    """
    if view not in CLEAR_VIEWS:
        raise ValueError(f"view must be 'side', 'rear' or 'front', not {view!r}")
    if direction not in ("right", "left"):
        raise ValueError(f"direction must be 'right' or 'left', not {direction!r}")
    if knee_flexion_contact_deg is None:
        knee_flexion_contact_deg = 20.0 if flight else 5.0
    gait = _GaitModel(
        cadence_spm=cadence_spm,
        duty=RUNNING_DUTY if flight else WALKING_DUTY,
        height=runner_height_px,
        pelvic_drop=np.radians(pelvic_drop_deg),
        pelvic_drop_right=None if pelvic_drop_right_deg is None else np.radians(pelvic_drop_right_deg),
        shoulder_dip=np.radians(shoulder_dip_deg),
        head_forward_pct=head_forward_pct,
        forward_lean=np.radians(trunk_forward_lean_deg),
        lateral_lean=np.radians(trunk_lateral_lean_deg),
        vertical_oscillation_pct=vertical_oscillation_pct,
        overstride_pct=overstride_pct,
        knee_flexion_contact=np.radians(knee_flexion_contact_deg),
        arm_crossover_pct=arm_crossover_pct,
        swing_clearance=0.30 if flight else 0.12,
        in_place=running_in_place,
    )
    facing = 1 if direction == "right" else -1
    width, height = int(frame_size[0]), int(frame_size[1])
    ground_y = 0.92 * height
    projection = _Projection(view=view, facing=facing, cx=width / 2.0, ground_y=ground_y)

    n = max(int(round(duration_s * fps)), 0)
    t_s = np.arange(n, dtype=np.float64) / fps
    body = gait.body(t_s)
    image_xy = projection(body)
    t_ms, image_xy, visibility = add_pose_noise(
        t_s * 1000.0,
        image_xy,
        frame_size=(width, height),
        jitter_px=jitter_px,
        dropout_fraction=dropout_fraction,
        skipped_frame_fraction=skipped_frame_fraction,
        swap_rate_hz=swap_rate_hz,
        swap_burst_ms=swap_burst_ms,
        camera_roll_deg=camera_roll_deg,
        visibility_noise=visibility_noise,
        seed=seed,
    )
    n_kept = len(t_ms)
    markers_xy = None
    if markers:
        markers_xy = rolled(projection(psis_points(body, runner_height_px)), camera_roll_deg, (width, height))
        markers_xy = markers_xy[np.isin(t_s * 1000.0, t_ms)]
        if marker_jitter_px > 0:
            markers_xy = markers_xy + np.random.default_rng(seed + 1).normal(0.0, marker_jitter_px, markers_xy.shape)

    truth = gait.truth(duration_s=n / fps if n else 0.0, projection=projection)
    truth["params"] = dict(
        view=view,
        direction=direction,
        cadence_spm=cadence_spm,
        fps=fps,
        duration_s=duration_s,
        pelvic_drop_deg=pelvic_drop_deg,
        pelvic_drop_right_deg=pelvic_drop_right_deg,
        shoulder_dip_deg=shoulder_dip_deg,
        head_forward_pct=head_forward_pct,
        trunk_forward_lean_deg=trunk_forward_lean_deg,
        trunk_lateral_lean_deg=trunk_lateral_lean_deg,
        vertical_oscillation_pct=vertical_oscillation_pct,
        overstride_pct=overstride_pct,
        knee_flexion_contact_deg=knee_flexion_contact_deg,
        arm_crossover_pct=arm_crossover_pct,
        runner_height_px=runner_height_px,
        frame_size=[width, height],
        flight=flight,
        running_in_place=running_in_place,
        jitter_px=jitter_px,
        dropout_fraction=dropout_fraction,
        skipped_frame_fraction=skipped_frame_fraction,
        swap_rate_hz=swap_rate_hz,
        swap_burst_ms=list(swap_burst_ms),
        camera_roll_deg=camera_roll_deg,
        visibility_noise=visibility_noise,
        seed=seed,
        markers=markers,
        marker_jitter_px=marker_jitter_px,
    )
    return PoseSequence(
        t_ms=t_ms,
        image_xy=image_xy,
        visibility=visibility,
        world_xyz=np.full((n_kept, lm.N_LANDMARKS, 3), np.nan),
        frame_size=(width, height),
        extras=PoseExtras(synthetic=True, truth=truth),
        markers_xy=markers_xy,
    )


class _Projection:
    """Orthographic camera: body frame (forward, lateral-right, up) -> image pixels."""

    def __init__(self, *, view: str, facing: int, cx: float, ground_y: float):
        self.view, self.facing, self.cx, self.ground_y = view, facing, cx, ground_y

    def __call__(self, body: np.ndarray) -> np.ndarray:
        if self.view == View.SIDE:
            x = self.cx + body[..., 0] * self.facing
        elif self.view == View.REAR:
            x = self.cx + body[..., 1]
        else:
            x = self.cx - body[..., 1]
        return np.stack([x, self.ground_y - body[..., 2]], axis=-1)


class _GaitModel:
    """The gait as a function of time; see the module docstring."""

    def __init__(
        self,
        *,
        cadence_spm,
        duty,
        height,
        pelvic_drop,
        shoulder_dip,
        head_forward_pct,
        forward_lean,
        lateral_lean,
        vertical_oscillation_pct,
        overstride_pct,
        knee_flexion_contact,
        arm_crossover_pct,
        swing_clearance,
        in_place=False,
        pelvic_drop_right=None,
    ):
        self.stride_s = 120.0 / cadence_spm
        self.step_s = self.stride_s / 2.0
        self.duty = duty
        self.t0 = 0.25 * self.stride_s  # first left contact
        self.t_mid_left = self.t0 + duty * self.stride_s / 2.0
        h = height
        self.thigh, self.shank = THIGH * h, SHANK * h
        self.ankle_h, self.heel_back, self.toe_ahead = ANKLE_HEIGHT * h, HEEL_BEHIND_ANKLE * h, TOE_AHEAD_OF_ANKLE * h
        self.trunk, self.neck = TRUNK * h, NECK * h
        self.hip_w, self.shoulder_w, self.ear_w = HIP_WIDTH * h, SHOULDER_WIDTH * h, EAR_WIDTH * h
        self.upper_arm, self.forearm = UPPER_ARM * h, FOREARM * h
        self.height = h
        self.pelvic_drop, self.shoulder_dip = pelvic_drop, shoulder_dip
        self.pelvic_drop_right = pelvic_drop if pelvic_drop_right is None else pelvic_drop_right
        self.forward_lean, self.lateral_lean = forward_lean, lateral_lean
        self.head_forward = head_forward_pct / 100.0 * self.trunk  # side-view trunk length is exact
        self.arm_crossover = arm_crossover_pct / 100.0
        self.knee_flexion_contact = knee_flexion_contact
        self.clearance_frac = swing_clearance
        self.in_place = in_place
        self._solve_leg_geometry(vertical_oscillation_pct / 100.0, overstride_pct / 100.0)

    # -- geometry that depends on the leg length, solved by fixed-point iteration
    def _solve_leg_geometry(self, vo_frac: float, overstride_frac: float) -> None:
        l1, l2 = self.thigh, self.shank
        d_contact = np.sqrt(l1**2 + l2**2 + 2 * l1 * l2 * np.cos(self.knee_flexion_contact))
        tilt_contact = self.pelvic_drop * np.cos(np.pi * self.duty)
        leg = l1 + l2
        for _ in range(50):
            self.overstride = overstride_frac * leg
            self.vertical_osc = vo_frac * leg
            fwd_contact = self.overstride + self.heel_back
            vert_contact = np.sqrt(max(d_contact**2 - fwd_contact**2, 1.0))
            # Mid-hip height so that the contact-side hip joint sits vert_contact above the ankle.
            self.hip_mean_up = (
                vert_contact
                + self.ankle_h
                - self.hip_w / 2 * np.sin(tilt_contact)
                + self.vertical_osc / 2 * np.cos(2 * np.pi * self.duty)
            )
            self.sweep = (0.02 if self.in_place else 0.35 if self.duty < 0.5 else 0.45) * (l1 + l2)
            self.clearance = self.clearance_frac * (l1 + l2)
            new_leg = self._side_leg_length_at_midstance()
            if abs(new_leg - leg) < 1e-9:
                break
            leg = new_leg
        self.leg_length = leg

    def _side_leg_length_at_midstance(self) -> float:
        body = self.body(np.array([self.t_mid_left]))[0]
        d = body[lm.LEFT_HIP, [0, 2]] - body[lm.LEFT_ANKLE, [0, 2]]
        return float(np.hypot(*d))

    # -- time functions
    def _stride_phase(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        p_left = np.mod((t - self.t0) / self.stride_s, 1.0)
        return p_left, np.mod(p_left - 0.5, 1.0)

    def _stride_wave(self, t: np.ndarray) -> np.ndarray:
        """+1 at left midstance, -1 at right midstance."""
        return np.cos(2 * np.pi * (t - self.t_mid_left) / self.stride_s)

    def _heel_forward_and_lift(self, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        stance = p < self.duty
        u = p / self.duty
        s = (p - self.duty) / (1.0 - self.duty)
        forward = np.where(
            stance,
            self.overstride - self.sweep * u,
            self.overstride - self.sweep + self.sweep * (1 - np.cos(np.pi * s)) / 2,
        )
        # Heel kick early in swing, then a descent that touches down at the hip's own descent speed:
        # the leg is still just before contact and the knee flexes after it, as in running.
        s = np.clip(s, 0, 1)
        swing_s = (1.0 - self.duty) * self.stride_s
        hip_descent = self.vertical_osc / 2 * (2 * np.pi / self.step_s) * np.sin(2 * np.pi * self.duty)
        end_slope = max(hip_descent, 0.0) * swing_s / max(self.clearance, 1e-9)
        shape = np.sin(np.pi * s) * (1 - 0.65 * s) / 0.70 + (end_slope - np.pi / 2) * s**4 * (1 - s)
        lift = np.where(stance, 0.0, self.clearance * shape)
        return forward, lift

    def body(self, t: np.ndarray) -> np.ndarray:
        """Landmarks in the body frame, shape (T, 33, 3): (forward, lateral-right, up) in px."""
        t = np.asarray(t, dtype=np.float64)
        out = np.zeros((len(t), lm.N_LANDMARKS, 3))
        wave = self._stride_wave(t)

        # Pelvis: vertical oscillation (lowest at each midstance) and the hip-line tilt.
        mid_hip_up = self.hip_mean_up - self.vertical_osc / 2 * np.cos(2 * np.pi * (t - self.t_mid_left) / self.step_s)
        # > 0: right hip lower (left stance); each stance drops by its own side's amount
        tilt = np.where(wave >= 0, self.pelvic_drop, self.pelvic_drop_right) * wave
        for index, sign in ((lm.LEFT_HIP, -1), (lm.RIGHT_HIP, 1)):
            out[:, index, 1] = sign * self.hip_w / 2 * np.cos(tilt)
            out[:, index, 2] = mid_hip_up - sign * self.hip_w / 2 * np.sin(tilt)

        # Trunk: forward lean, lateral lean towards the stance side (lateral part scaled so the
        # rear-view angle is exact).
        up = self.trunk * np.cos(self.forward_lean)
        lateral_angle = -self.lateral_lean * wave  # left stance: lean to the left (negative lateral)
        mid_sh = np.stack(
            [np.full_like(t, self.trunk * np.sin(self.forward_lean)), up * np.tan(lateral_angle), mid_hip_up + up],
            axis=1,
        )
        dip = -self.shoulder_dip * wave  # > 0: right shoulder lower; left stance: left shoulder lower
        twist = np.radians(8.0) * np.sin(2 * np.pi * (t - self.t0) / self.stride_s)
        half = self.shoulder_w / 2 * np.cos(dip)
        right_half = np.stack([half * np.sin(twist), half * np.cos(twist), -half * np.cos(twist) * np.tan(dip)], axis=1)
        out[:, lm.RIGHT_SHOULDER] = mid_sh + right_half
        out[:, lm.LEFT_SHOULDER] = mid_sh - right_half
        shoulder_width_image = 2 * half * np.cos(twist)

        # Head: ears ahead of the mid-shoulder by head_forward, a neck length above it.
        mid_ear = mid_sh + np.array([self.head_forward, 0.0, self.neck])
        h = self.height
        face = {  # offsets from the mid-ear: forward, lateral-right, up (fractions of height)
            lm.LEFT_EAR: (0, -EAR_WIDTH / 2, 0),
            lm.RIGHT_EAR: (0, EAR_WIDTH / 2, 0),
            lm.NOSE: (0.06, 0, -0.01),
            1: (0.05, -0.015, 0.01),
            2: (0.05, -0.025, 0.01),
            3: (0.045, -0.035, 0.01),
            4: (0.05, 0.015, 0.01),
            5: (0.05, 0.025, 0.01),
            6: (0.045, 0.035, 0.01),
            lm.LEFT_EAR + 2: (0.05, -0.02, -0.035),
            lm.RIGHT_EAR + 2: (0.05, 0.02, -0.035),
        }
        for index, offset in face.items():
            out[:, index] = mid_ear + np.asarray(offset) * h

        # Arms: swing opposite to the same-side leg; wrists towards the midline when forward.
        p_left, p_right = self._stride_phase(t)
        for side, p in ((-1, p_left), (1, p_right)):
            shoulder_i, elbow_i, wrist_i = (
                (lm.LEFT_SHOULDER, lm.LEFT_ELBOW, lm.LEFT_WRIST)
                if side < 0
                else (lm.RIGHT_SHOULDER, lm.RIGHT_ELBOW, lm.RIGHT_WRIST)
            )
            swing = -np.cos(2 * np.pi * p)  # +1 most forward (the same-side leg is behind)
            angle = np.radians(35.0) * swing
            shoulder = out[:, shoulder_i]
            forward01 = (1 + swing) / 2
            own_side = shoulder_width_image * (0.25 - (0.25 + self.arm_crossover) * forward01)
            wrist_lateral = mid_sh[:, 1] + side * own_side
            elbow = shoulder + np.stack(
                [self.upper_arm * np.sin(angle), np.zeros_like(t), -self.upper_arm * np.cos(angle)], axis=1
            )
            elbow[:, 1] = (shoulder[:, 1] + wrist_lateral) / 2 + side * 0.03 * h
            fore = angle + np.radians(75.0)
            wrist = elbow + np.stack(
                [self.forearm * np.sin(fore), np.zeros_like(t), -self.forearm * np.cos(fore)], axis=1
            )
            wrist[:, 1] = wrist_lateral
            out[:, elbow_i], out[:, wrist_i] = elbow, wrist
            hand = np.stack([0.05 * h * np.sin(fore), np.zeros_like(t), -0.05 * h * np.cos(fore)], axis=1)
            for k, lateral in enumerate((0.0, 0.01, -0.01)):  # pinky, index, thumb
                index = (lm.LEFT_WRIST if side < 0 else lm.RIGHT_WRIST) + 2 * (k + 1)
                out[:, index] = wrist + hand + np.array([0.0, side * lateral * h, 0.0])

        # Legs: heel path from the stride phase, knee by two-link inverse kinematics.
        for side, p in ((-1, p_left), (1, p_right)):
            hip_i, knee_i, ankle_i, heel_i, toe_i = (
                (lm.LEFT_HIP, lm.LEFT_KNEE, lm.LEFT_ANKLE, lm.LEFT_HEEL, lm.LEFT_FOOT_INDEX)
                if side < 0
                else (lm.RIGHT_HIP, lm.RIGHT_KNEE, lm.RIGHT_ANKLE, lm.RIGHT_HEEL, lm.RIGHT_FOOT_INDEX)
            )
            heel_forward, lift = self._heel_forward_and_lift(p)
            ankle_lateral = np.full_like(t, side * self.hip_w / 2)
            ankle = np.stack([heel_forward + self.heel_back, ankle_lateral, self.ankle_h + lift], axis=1)
            out[:, ankle_i] = ankle
            out[:, heel_i] = ankle + np.array([-self.heel_back, 0.0, -self.ankle_h])
            out[:, toe_i] = ankle + np.array([self.toe_ahead, 0.0, -self.ankle_h])
            out[:, knee_i] = _knee(out[:, hip_i], ankle, self.thigh, self.shank)
            out[:, knee_i, 1] = ankle_lateral
        return out

    # -- truth
    def truth(self, *, duration_s: float, projection: _Projection) -> dict:
        """True events and the metric values the definitions give for this projection."""
        n_strides = int(np.ceil(duration_s / self.stride_s)) + 2
        k = np.arange(n_strides) - 1  # from the stride before t = 0, whose toe-offs may fall inside
        contacts = np.concatenate([self.t0 + k * self.stride_s, self.t0 + (k + 0.5) * self.stride_s])
        sides = np.array(["left"] * n_strides + ["right"] * n_strides)
        order = np.argsort(contacts)
        contacts, sides = contacts[order], sides[order]
        toe_offs = contacts + self.duty * self.stride_s
        keep_c = (contacts >= 0) & (contacts < duration_s)
        keep_t = (toe_offs >= 0) & (toe_offs < duration_s)

        # Evaluate the model at the left stance's contact and midstance and apply the definitions.
        t_contact, t_mid = self.t0, self.t_mid_left
        img_m = projection(self.body(np.array([t_mid])))[0]
        side_proj = _Projection(view="side", facing=1, cx=0.0, ground_y=0.0)
        side_m = side_proj(self.body(np.array([t_mid])))[0]
        side_c = side_proj(self.body(np.array([t_contact])))[0]
        leg_side = float(np.hypot(*(side_m[lm.LEFT_HIP] - side_m[lm.LEFT_ANKLE])))
        leg_view = float(np.hypot(*(img_m[lm.LEFT_HIP] - img_m[lm.LEFT_ANKLE])))
        hip_c, knee_c, ankle_c = side_c[lm.LEFT_HIP], side_c[lm.LEFT_KNEE], side_c[lm.LEFT_ANKLE]
        v1, v2 = hip_c - knee_c, ankle_c - knee_c
        knee_angle = np.degrees(np.arccos(np.dot(v1, v2) / np.linalg.norm(v1) / np.linalg.norm(v2)))
        mid_hip_c = (side_c[lm.LEFT_HIP] + side_c[lm.RIGHT_HIP]) / 2
        head_deg = float(np.degrees(np.arctan2(self.head_forward, self.neck)))
        return {
            "cadence_spm": 120.0 / self.stride_s,
            "contact_t_ms": (contacts[keep_c] * 1000).tolist(),
            "contact_sides": sides[keep_c].tolist(),
            "toe_off_t_ms": (toe_offs[keep_t] * 1000).tolist(),
            "toe_off_sides": sides[keep_t].tolist(),
            # The median over both sides' stances: halfway between them when they differ.
            "pelvic_drop_deg": float(np.degrees(self.pelvic_drop + self.pelvic_drop_right) / 2),
            "pelvic_drop_peak_deg": float(np.degrees(self.pelvic_drop + self.pelvic_drop_right) / 2),
            "pelvic_drop_left_deg": float(np.degrees(self.pelvic_drop)),
            "pelvic_drop_right_deg": float(np.degrees(self.pelvic_drop_right)),
            "shoulder_dip_deg": float(np.degrees(self.shoulder_dip)),
            "trunk_lateral_lean_deg": float(np.degrees(self.lateral_lean)),
            "trunk_forward_lean_deg": float(np.degrees(self.forward_lean)),
            "head_forward_pct": 100.0 * self.head_forward / self.trunk,
            "head_forward_deg": head_deg,
            "leg_length_px": leg_view,
            "side_leg_length_px": leg_side,
            "vertical_oscillation_px": self.vertical_osc,
            "vertical_oscillation_pct": 100.0 * self.vertical_osc / leg_view,
            "overstride_pct": 100.0 * float(side_c[lm.LEFT_HEEL, 0] - mid_hip_c[0]) / leg_side,
            "knee_flexion_contact_deg": float(180.0 - knee_angle),
            "shank_angle_contact_deg": float(np.degrees(np.arctan2(ankle_c[0] - knee_c[0], ankle_c[1] - knee_c[1]))),
            "arm_crossover_pct": 100.0 * self.arm_crossover,
            "duty_factor": self.duty,
            "runner_height_px": self.height,
        }


def _knee(hip: np.ndarray, ankle: np.ndarray, thigh: float, shank: float) -> np.ndarray:
    """Knee (T, 3) in the leg's sagittal plane, bent forward; straight when the leg is too short."""
    d_vec = ankle[:, [0, 2]] - hip[:, [0, 2]]
    d = np.maximum(np.hypot(d_vec[:, 0], d_vec[:, 1]), 1e-9)
    cos_hip = np.clip((thigh**2 + d**2 - shank**2) / (2 * thigh * d), -1.0, 1.0)
    hip_angle = np.arccos(cos_hip)
    direction = np.arctan2(d_vec[:, 1], d_vec[:, 0])  # hip -> ankle, in (forward, up)
    # Rotate towards forward: the hip-ankle direction points down (about -90 deg), so adding turns forward.
    knee_dir = direction + hip_angle
    knee = hip.copy()
    knee[:, 0] = hip[:, 0] + thigh * np.cos(knee_dir)
    knee[:, 2] = hip[:, 2] + thigh * np.sin(knee_dir)
    return knee


def gait_body_points(
    t_s: np.ndarray,
    *,
    cadence_spm: float = 170.0,
    pelvic_drop_deg: float = 0.0,
    pelvic_drop_right_deg: float | None = None,
    shoulder_dip_deg: float = 0.0,
    head_forward_pct: float = 0.0,
    trunk_forward_lean_deg: float = 0.0,
    trunk_lateral_lean_deg: float = 0.0,
    vertical_oscillation_pct: float = 0.0,
    overstride_pct: float = 0.0,
    knee_flexion_contact_deg: float | None = None,
    arm_crossover_pct: float = -10.0,
    runner_height: float = 1.0,
    flight: bool = True,
) -> np.ndarray:
    """The 33 landmarks of :func:`make_gait`'s runner in 3-D, for renderers (:mod:`formcam.synthetic.render`).

    Same model and parameters as :func:`make_gait`, before any projection.

    Parameters
    ----------
    t_s : ndarray, shape (T,)
        Times in seconds.
    runner_height : float
        Standing height, in the unit wanted for the result (e.g. metres).

    Returns
    -------
    ndarray, shape (T, 33, 3)
        ``(forward, lateral-right, up)`` in the unit of ``runner_height``; the
        ground is at ``up = 0`` and the treadmill's centre (the mean mid-hip)
        at ``forward = lateral = 0``.
    """
    if knee_flexion_contact_deg is None:
        knee_flexion_contact_deg = 20.0 if flight else 5.0
    model_height = 1000.0  # the model floors one length at 1 unit, so build it large and scale
    gait = _GaitModel(
        cadence_spm=cadence_spm,
        duty=RUNNING_DUTY if flight else WALKING_DUTY,
        height=model_height,
        pelvic_drop=np.radians(pelvic_drop_deg),
        pelvic_drop_right=None if pelvic_drop_right_deg is None else np.radians(pelvic_drop_right_deg),
        shoulder_dip=np.radians(shoulder_dip_deg),
        head_forward_pct=head_forward_pct,
        forward_lean=np.radians(trunk_forward_lean_deg),
        lateral_lean=np.radians(trunk_lateral_lean_deg),
        vertical_oscillation_pct=vertical_oscillation_pct,
        overstride_pct=overstride_pct,
        knee_flexion_contact=np.radians(knee_flexion_contact_deg),
        arm_crossover_pct=arm_crossover_pct,
        swing_clearance=0.30 if flight else 0.12,
    )
    return gait.body(np.atleast_1d(np.asarray(t_s, dtype=np.float64))) * (runner_height / model_height)


def psis_points(body: np.ndarray, height: float) -> np.ndarray:
    """The left and right posterior superior iliac spines of a posed body, where the pelvis stickers go.

    They move with the pelvis: placed along the hip line and the pelvis's
    own up direction (square to the hip line in the frontal plane), behind
    the hip joints.

    Parameters
    ----------
    body : ndarray, shape (T, 33, 3)
        Landmarks (forward, lateral-right, up), e.g. :func:`gait_body_points`.
    height : float
        The runner's standing height in the same unit.

    Returns
    -------
    ndarray, shape (T, 2, 3)
        The runner's left, then right PSIS.
    """
    body = np.asarray(body, dtype=np.float64)
    left_hip, right_hip = body[:, lm.LEFT_HIP], body[:, lm.RIGHT_HIP]
    lateral = right_hip - left_hip
    lateral /= np.linalg.norm(lateral, axis=1, keepdims=True)
    # The runner's forward, level, square to the hip line (the body frame is left-handed: forward = lateral x up).
    forward = np.cross(lateral, np.array([0.0, 0.0, 1.0]))
    forward /= np.linalg.norm(forward, axis=1, keepdims=True)
    up = np.cross(forward, lateral)  # square to the hip line, in the frontal plane
    up /= np.linalg.norm(up, axis=1, keepdims=True)
    centre = (left_hip + right_hip) / 2 + height * (PSIS_ABOVE_HIPS * up - PSIS_BEHIND_HIPS * forward)
    offset = height * PSIS_HALF_SEPARATION * lateral
    return np.stack([centre - offset, centre + offset], axis=1)
