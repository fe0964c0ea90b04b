"""A second synthetic runner, independent of formcam, driven by published joint-angle curves.

formcam's own generator (``formcam.synthetic.gait``) and renderer share one gait
model with the kinematics they test, so agreeing with them proves little.  This
module shares **no code** with formcam (it imports only numpy and scipy) and
builds its runner from measured data and textbook anthropometry instead:

* **Joint angles**: the mean sagittal hip, knee and ankle curves of 46 runners
  on a treadmill at about 2.5 m/s, 101 points over the gait cycle, 0 % =
  touchdown of that leg: R. K. Fukuchi, M. Duarte, R. Ferber, "Three-dimensional
  kinematics dataset of running: interlaboratory comparison" (GitHub
  ``regifukuchi/BMC-RIC-running-biomechanics``; data of Fukuchi et al., PeerJ
  2017, 5:e3298, and the Running Injury Clinic, University of Calgary),
  licence CC BY 4.0.  They are read at test time from the shared data folder
  (``running_curves/bmc_ric_running_mean_sd.csv``, group ``ALL`` by default,
  ``BMC`` or ``RIC`` for one lab's 23 runners); nothing of them is copied
  into the repository.
* **Segment lengths** as fractions of standing height H: Winter, D. A. (2009),
  *Biomechanics and Motor Control of Human Movement*, 4th ed., Fig. 4.1:
  hip (greater trochanter) 0.530 H, knee 0.285 H, ankle 0.039 H, shoulder
  0.818 H, eye 0.936 H, chin 0.870 H; thigh 0.245 H, shank 0.246 H, foot
  length 0.152 H, hip width 0.191 H, shoulder width 0.259 H, upper arm
  0.186 H, forearm 0.146 H, hand 0.108 H.
* Values the data do not hold come from the literature, each cited where it is
  set (:data:`LITERATURE`), or are modelling choices marked [D].

Geometry (body axes: X forward, Y to the runner's left, Z up, metres; a
treadmill, so the mid-hip stays at X = Y = 0):

* **Pelvis.**  Sagittal pelvic tilt is held constant and neutral: the data's hip
  angle is the thigh relative to the pelvis, and the thigh's angle from vertical
  is taken as ``hip flexion - pelvic_tilt_deg`` (default 0, i.e. the pelvis
  frame of the data's standing calibration is taken as level).  Pelvic
  obliquity (frontal tilt) is a stride-long cosine with its peak contralateral
  drop at mid-stance of each leg (Bramah et al. 2018 report the peak at
  midstance; the cosine shape is [D]); the peak is a parameter (default
  6.0 deg, the 2-D norm of Matsuzaki et al.).  No pelvic rotation (no data).
* **Legs.**  In the sagittal plane: thigh from the hip angle, shank from the
  knee angle (shank angle = thigh angle - knee flexion), foot inclination
  = ankle dorsiflexion + shank angle (toes up positive; the data's foot is
  within 2 deg of flat from 10 to 25 % of the cycle, which supports this
  zero).  The heel lies 0.25 foot length behind the ankle, the toe tip
  (BlazePose ``foot_index``) 0.75 ahead, both the ankle height (0.039 H)
  below it [D]; the foot bends at the ball (0.47 foot length ahead of the
  ankle), the toes staying level while the heel is raised [D], so late
  stance rolls over the ball of the foot rather than the toe tip.  Sideways,
  each foot keeps its step-width line (feet do not wander sideways in swing
  [D]) and the knee lies on the hip-ankle line, so the segments' sagittal
  projections have Winter's lengths (the side view's angles are the data's
  exactly) and their 3-D lengths are 1.4 % longer.  The frontal hip
  curve (Hip_X) is not used: the legs' frontal angles follow from the pelvis
  and the step width.
* **Vertical motion follows from the legs**: during each stance (0 % to
  toe-off) the mid-hip is placed so that the stance foot's lowest point
  (heel, ball of the foot or toe tip) touches the ground exactly; during flight a cubic joins the
  two stances' heights and vertical speeds.  Vertical oscillation is thus a
  consequence of the data's joint angles, not a parameter; it is measured on
  the result (:func:`truth_of`).  Toe-off comes from the literature's stance
  fraction (:data:`LITERATURE`); it falls within 1 % of the cycle of the
  data's own lift-off point (where the ball of the foot is lowest relative to
  the hip), so the trailing foot leaves the ground gently: at 170 steps/min it
  is within 1 mm of the ground (at most 0.6 mm below it) for 30 ms after
  toe-off, 3 mm above it after 40 ms and 20 mm after 60 ms.  The landing foot
  comes down steeply: 29 mm above the ground 60 ms before contact, 6 mm
  20 ms before.
* **Trunk** rigid from the mid-hip, 0.288 H long (0.818 - 0.530), forward lean
  ``trunk_forward_lean_deg`` (default 7.3 deg, Teng & Powers 2014) varying by
  +-``trunk_lean_swing_deg`` twice a stride [D], and lateral lean towards the
  stance side peaking at mid-stance (Dingenen et al. 2018 read it at
  midstance; doctorsofrunning: ipsilateral).  The shoulder line is set
  directly: its tilt (stance side lower = positive dip) peaks at mid-stance.
* **Head**: the mid-ear sits 0.118 H (eye 0.936 - shoulder 0.818; the tragus
  lies on the Frankfurt plane with the orbit, so at about eye height) from the
  mid-shoulder, ``head_forward_deg`` from vertical.  Eyes and nose are ahead
  of the ears [D]: they only tell which way the head faces.
* **Arms** swing opposite to the legs (left arm forward with the right leg);
  in the frontal plane the wrists come in towards the midline and cross it by
  ``arm_crossover_pct`` of the shoulder width at the peak of each forward
  swing [D].

Views are orthographic: side (camera at the runner's side, running towards
image ``right`` or ``left``), ``rear`` (behind, the runner's right on image
right) and ``front``.  Pixels: x right, y down.

Truths (:func:`truth_of`) are computed from the biomechanical definitions
(docs/design.md, metric table) on the model's own geometry sampled densely,
never with formcam's code.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.interpolate import CubicSpline

#: Anthropometry, fractions of standing height (Winter 2009, Fig. 4.1).
WINTER = dict(
    hip=0.530,
    knee=0.285,
    ankle=0.039,
    shoulder=0.818,
    eye=0.936,
    chin=0.870,
    thigh=0.245,
    shank=0.246,
    foot=0.152,
    hip_width=0.191,
    shoulder_width=0.259,
    upper_arm=0.186,
    forearm=0.146,
    hand=0.108,
)

#: Values not in the joint-angle data, with their sources (see docs/metrics-research.md for the full references).
LITERATURE = {
    # Stance fraction (duty factor): toe-off at 39 % of the cycle in distance running (Novacheck 1998,
    # Gait Posture 7:77-95, Fig. 1; [U] value as commonly quoted, the figure was not re-read here).
    "toe_off_fraction": 0.39,
    # Peak contralateral pelvic drop, 2-D: 6.0 +- 2.2 deg in 53 healthy adolescent runners (Matsuzaki et al.).
    "pelvic_drop_deg": 6.0,
    # Self-selected trunk flexion at 3.4 m/s: 7.3 +- 3.6 deg (Teng & Powers 2014, JOSPT).
    "trunk_forward_lean_deg": 7.3,
    # Lateral trunk lean: no running norm; flags start at 5 deg (docs/metrics-research.md M3 [D]);
    # a smaller, typical value.
    "trunk_lateral_lean_deg": 3.0,
    # Shoulder dip: no norm found (docs/metrics-research.md M2); a value of the size of the pelvic drop's SD.
    "shoulder_dip_deg": 3.0,
    # Cadence: 171.0 +- 7.9 steps/min in uninjured adult men (PMC6044588); 168.7 +- 8.6 adolescents (Matsuzaki).
    "cadence_spm": 170.0,
    # Step width: runners prefer a narrow step, cheaper than 15 % of leg length (Arellano & Kram 2011,
    # J Biomech); a few cm between the feet's lines; the exact preferred value was not read [U].
    "step_width_m": 0.05,
    # Head forward: the ideal plumb line passes through ear lobe and acromion (Kendall et al. 2005,
    # Muscles: Testing and Function); a forward head puts the ear ahead [D: value].
    "head_forward_deg": 15.0,
}

#: Foot: the heel this share of the foot length behind the ankle, the ball of the foot (MTP joints) this share
#: ahead of it, the toe tip (BlazePose ``foot_index``) at the front end [D: the ankle over the rear quarter].
HEEL_BEHIND, MTP_AHEAD = 0.25, 0.47

FORMAT = "formcam-pose/1"
N_LANDMARKS = 33
# BlazePose landmark order (MediaPipe documentation): the indices this module fills.
NOSE, L_EYE_IN, L_EYE, L_EYE_OUT, R_EYE_IN, R_EYE, R_EYE_OUT, L_EAR, R_EAR, MOUTH_L, MOUTH_R = range(11)
L_SH, R_SH, L_ELB, R_ELB, L_WR, R_WR, L_PINKY, R_PINKY, L_INDEX, R_INDEX, L_THUMB, R_THUMB = range(11, 23)
L_HIP, R_HIP, L_KNEE, R_KNEE, L_ANKLE, R_ANKLE, L_HEEL, R_HEEL, L_TOE, R_TOE = range(23, 33)


# ----------------------------------------------------------------------------------------------- data
def shared_dir() -> Path:
    """The shared folder: ``$FORMCAM_VIDEOS_DIR/..`` when set, else ``../shared`` beside the repository."""
    videos = os.environ.get("FORMCAM_VIDEOS_DIR")
    if videos:
        return Path(videos).resolve().parent
    return Path(__file__).resolve().parents[2].parent / "shared"


def curves_path() -> Path:
    return shared_dir() / "data" / "running_curves" / "bmc_ric_running_mean_sd.csv"


@dataclass(frozen=True)
class Curves:
    """Periodic joint-angle curves of one gait cycle (degrees; phase 0-1, 0 = touchdown of that leg).

    ``raw_*`` are the data's 101 points (0-100 %).  The averaged curves do not
    close exactly (knee 10.85 deg at 0 %, 9.95 deg at 100 %), so a linear
    drift ``(y[0] - y[100]) * p / 100`` is added to make 100 % equal 0 %; the
    value at touchdown (0 %) is unchanged.  A periodic cubic spline through the
    corrected points gives values between them.
    """

    hip_flexion: CubicSpline
    knee_flexion: CubicSpline
    ankle_dorsiflexion: CubicSpline
    raw: dict = field(default_factory=dict)


def load_curves(path: str | os.PathLike | None = None, group: str = "ALL") -> Curves:
    path = Path(path) if path is not None else curves_path()
    if not path.exists():
        raise FileNotFoundError(f"{path} (the Fukuchi/Duarte/Ferber running curves) is missing")
    with open(path, newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["group"] == group]
    rows.sort(key=lambda r: float(r["pct_gait_cycle"]))
    pct = np.array([float(r["pct_gait_cycle"]) for r in rows])
    assert pct.tolist() == list(range(101)), "expected 101 points, 0-100 %"
    raw, splines = {}, {}
    for name in ("hip_flexion", "knee_flexion", "ankle_dorsiflexion"):
        y = np.array([float(r[f"{name}_mean"]) for r in rows])
        raw[name] = y
        closed = y + (y[0] - y[-1]) * pct / 100.0
        splines[name] = CubicSpline(pct / 100.0, closed, bc_type="periodic")
    return Curves(splines["hip_flexion"], splines["knee_flexion"], splines["ankle_dorsiflexion"], raw)


# ----------------------------------------------------------------------------------------------- model
@dataclass
class Runner:
    """Parameters of one synthetic runner (see the module docstring for each choice)."""

    height_m: float = 1.75
    cadence_spm: float = LITERATURE["cadence_spm"]
    toe_off_fraction: float = LITERATURE["toe_off_fraction"]
    pelvic_tilt_deg: float = 0.0
    pelvic_drop_deg: float = LITERATURE["pelvic_drop_deg"]
    shoulder_dip_deg: float = LITERATURE["shoulder_dip_deg"]
    trunk_lateral_lean_deg: float = LITERATURE["trunk_lateral_lean_deg"]
    trunk_forward_lean_deg: float = LITERATURE["trunk_forward_lean_deg"]
    trunk_lean_swing_deg: float = 2.0
    head_forward_deg: float = LITERATURE["head_forward_deg"]
    step_width_m: float = LITERATURE["step_width_m"]
    arm_swing_deg: float = 30.0  # upper arm, +- about its mean, from vertical [D]
    arm_crossover_pct: float = 0.0  # the wrist's peak crossing of the midline, % shoulder width [D]
    first_contact_s: float = 0.137  # time of the first left touchdown; any phase of the clip works


class Model:
    """The runner's 3-D landmark positions as a function of time."""

    def __init__(self, runner: Runner, curves: Curves | None = None):
        self.r = runner
        self.c = curves if curves is not None else load_curves()
        H = runner.height_m
        self.H = H
        self.L_thigh, self.L_shank = WINTER["thigh"] * H, WINTER["shank"] * H
        self.L_foot, self.h_ankle = WINTER["foot"] * H, WINTER["ankle"] * H
        self.hip_half = WINTER["hip_width"] * H / 2
        self.sh_half = WINTER["shoulder_width"] * H / 2
        self.L_trunk = (WINTER["shoulder"] - WINTER["hip"]) * H
        self.L_neck = (WINTER["eye"] - WINTER["shoulder"]) * H
        self.stride_s = 120.0 / runner.cadence_spm
        self.ms = runner.toe_off_fraction / 2  # mid-stance phase [D: half of stance]
        self._flight = self._flight_cubic()

    # --- phases
    def phase(self, t_s: np.ndarray, side: str) -> np.ndarray:
        """Gait-cycle phase 0-1 of one leg at times ``t_s`` (right leg half a cycle after the left)."""
        p = (np.asarray(t_s, float) - self.r.first_contact_s) / self.stride_s
        return np.mod(p - (0.5 if side == "right" else 0.0), 1.0)

    def contact_times(self, t0: float, t1: float, side: str) -> np.ndarray:
        start = self.r.first_contact_s + (0.5 if side == "right" else 0.0) * self.stride_s
        k = np.arange(np.floor((t0 - start) / self.stride_s) - 1, np.ceil((t1 - start) / self.stride_s) + 2)
        t = start + k * self.stride_s
        return t[(t >= t0) & (t <= t1)]

    # --- one leg in the sagittal plane, relative to its hip joint centre
    def leg_sagittal(self, p: np.ndarray) -> dict[str, np.ndarray]:
        """(n, 2) positions (X forward, Z up) of knee, ankle, heel, toe relative to the hip, and the angles."""
        p = np.asarray(p, float)
        thigh = np.radians(self.c.hip_flexion(p) - self.r.pelvic_tilt_deg)
        knee = np.radians(self.c.knee_flexion(p))
        shank = thigh - knee
        foot = np.radians(self.c.ankle_dorsiflexion(p)) + shank
        k = self.L_thigh * np.stack([np.sin(thigh), -np.cos(thigh)], -1)
        a = k + self.L_shank * np.stack([np.sin(shank), -np.cos(shank)], -1)

        def in_foot(x, z):
            return a + np.stack([x * np.cos(foot) - z * np.sin(foot), x * np.sin(foot) + z * np.cos(foot)], -1)

        mtp = in_foot(MTP_AHEAD * self.L_foot, -self.h_ankle)
        toe_angle = np.maximum(foot, 0.0)  # toes stay level while the heel is up (the MTP joint bends) [D]
        toe = mtp + (1.0 - HEEL_BEHIND - MTP_AHEAD) * self.L_foot * np.stack([np.cos(toe_angle), np.sin(toe_angle)], -1)
        return dict(
            knee=k,
            ankle=a,
            heel=in_foot(-HEEL_BEHIND * self.L_foot, -self.h_ankle),
            mtp=mtp,
            toe=toe,
            thigh=thigh,
            shank=shank,
            knee_flex=knee,
            foot=foot,
        )

    def obliquity(self, p_left: np.ndarray) -> np.ndarray:
        """Pelvic obliquity, rad, positive = right hip lower; peak drop of the swing side at mid-stance."""
        return np.radians(self.r.pelvic_drop_deg) * np.cos(2 * np.pi * (p_left - self.ms))

    def _hip_height_grounded(self, p_stance: np.ndarray, side: str) -> np.ndarray:
        """Mid-hip height that puts the stance foot's lowest point on the ground."""
        leg = self.leg_sagittal(p_stance)
        lowest = np.minimum(np.minimum(leg["heel"][:, 1], leg["mtp"][:, 1]), leg["toe"][:, 1])  # below that hip: < 0
        p_left = p_stance if side == "left" else np.mod(p_stance + 0.5, 1.0)
        own = self.hip_half * np.sin(self.obliquity(p_left)) * (1 if side == "left" else -1)  # hip above mid-hip
        return -lowest - own

    def _flight_cubic(self):
        """Hermite cubic for the mid-hip height through a flight (left toe-off to right touchdown)."""
        to, eps = self.r.toe_off_fraction, 1e-5
        z0 = self._hip_height_grounded(np.array([to]), "left")[0]
        v0 = (z0 - self._hip_height_grounded(np.array([to - eps]), "left")[0]) / eps
        z1 = self._hip_height_grounded(np.array([0.0]), "right")[0]
        v1 = (self._hip_height_grounded(np.array([eps]), "right")[0] - z1) / eps
        return (to, 0.5, z0, v0, z1, v1)

    def mid_hip_z(self, p_left: np.ndarray) -> np.ndarray:
        """Mid-hip height (m) over the left leg's phase; symmetric legs, so flights repeat every half cycle."""
        p = np.mod(np.asarray(p_left, float), 1.0)
        to = self.r.toe_off_fraction
        z = np.empty_like(p)
        half = np.mod(p, 0.5)  # phase within a step: each leg's stance starts a step
        left_stance = p < 0.5
        stance = half < to
        z[stance & left_stance] = self._hip_height_grounded(p[stance & left_stance], "left")
        z[stance & ~left_stance] = self._hip_height_grounded(p[stance & ~left_stance] - 0.5, "right")
        f = ~stance
        if f.any():
            a, b, z0, v0, z1, v1 = self._flight
            # The right leg's flight (after right toe-off) mirrors the left's; obliquity is antisymmetric
            # (cos shifted by half a cycle) and the legs identical, so heights repeat every half cycle.
            s = (half[f] - a) / (b - a)
            d = b - a
            h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
            z[f] = h00 * z0 + h10 * d * v0 + h01 * z1 + h11 * d * v1
        return z

    def positions(self, t_s: np.ndarray) -> np.ndarray:
        """(T, 33, 3) landmark positions, metres, body axes (X forward, Y left, Z up), ground at Z = 0."""
        t_s = np.asarray(t_s, float)
        n = len(t_s)
        out = np.full((n, N_LANDMARKS, 3), np.nan)
        pl, pr = self.phase(t_s, "left"), self.phase(t_s, "right")
        omega = self.obliquity(pl)
        zm = self.mid_hip_z(pl)
        mid_hip = np.stack([np.zeros(n), np.zeros(n), zm], -1)
        lateral = np.stack([np.zeros(n), np.cos(omega), np.sin(omega)], -1) * self.hip_half
        hips = {"left": mid_hip + lateral, "right": mid_hip - lateral}
        sw = self.r.step_width_m / 2
        for side, p, sign, idx in (
            ("left", pl, 1, (L_HIP, L_KNEE, L_ANKLE, L_HEEL, L_TOE)),
            ("right", pr, -1, (R_HIP, R_KNEE, R_ANKLE, R_HEEL, R_TOE)),
        ):
            hip = hips[side]
            leg = self.leg_sagittal(p)
            out[:, idx[0]] = hip
            foot_y = sign * sw
            for name, i in zip(("knee", "ankle", "heel", "toe"), idx[1:]):
                xz = leg[name]
                share = self.L_thigh / (self.L_thigh + self.L_shank) if name == "knee" else 1.0
                y = hip[:, 1] + (foot_y - hip[:, 1]) * share
                out[:, i] = np.stack([hip[:, 0] + xz[:, 0], y, hip[:, 2] + xz[:, 1]], -1)

        # Trunk: forward lean (twice a stride) and lateral lean towards the stance side (+Y in left stance).
        lam = np.radians(
            self.r.trunk_forward_lean_deg + self.r.trunk_lean_swing_deg * np.cos(4 * np.pi * (pl - self.ms))
        )
        mu = np.radians(self.r.trunk_lateral_lean_deg) * np.cos(2 * np.pi * (pl - self.ms))
        d = np.stack([np.tan(lam), np.tan(mu), np.ones(n)], -1)
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        mid_sh = mid_hip + self.L_trunk * d
        # Shoulder line: tilt psi, positive = right shoulder lower; the stance side lower by shoulder_dip at mid-stance.
        psi = -np.radians(self.r.shoulder_dip_deg) * np.cos(2 * np.pi * (pl - self.ms))
        sh_lat = np.stack([np.zeros(n), np.cos(psi), np.sin(psi)], -1) * self.sh_half
        out[:, L_SH], out[:, R_SH] = mid_sh + sh_lat, mid_sh - sh_lat

        # Head: mid-ear from the mid-shoulder, head_forward_deg from vertical (sagittal), upright in the frontal plane
        # apart from following the shoulder centre.
        nu = np.radians(self.r.head_forward_deg)
        mid_ear = mid_sh + self.L_neck * np.array([np.sin(nu), 0.0, np.cos(nu)])
        ear_half = 0.075 * self.H / 2  # head breadth about 0.075 H between the ears [D]
        out[:, L_EAR], out[:, R_EAR] = mid_ear + [0, ear_half, 0], mid_ear - [0, ear_half, 0]
        fwd = 0.05 * self.H  # eyes and nose ahead of the ears [D]
        for i, across in (
            (L_EYE_IN, 0.006),
            (L_EYE, 0.010),
            (L_EYE_OUT, 0.014),
            (R_EYE_IN, -0.006),
            (R_EYE, -0.010),
            (R_EYE_OUT, -0.014),
        ):
            out[:, i] = mid_ear + [fwd, across * self.H, 0.005 * self.H]
        out[:, NOSE] = mid_ear + [fwd + 0.012 * self.H, 0, -0.015 * self.H]
        out[:, MOUTH_L] = mid_ear + [fwd, 0.01 * self.H, -0.04 * self.H]
        out[:, MOUTH_R] = mid_ear + [fwd, -0.01 * self.H, -0.04 * self.H]

        # Arms: upper arm swings opposite to the same-side leg; elbow bent about 90 deg [D].
        ua, fa, hand = WINTER["upper_arm"] * self.H, WINTER["forearm"] * self.H, WINTER["hand"] * self.H
        for _side, p_other, sh, elb, wr, fingers, sign in (
            ("left", pr, L_SH, L_ELB, L_WR, (L_PINKY, L_INDEX, L_THUMB), 1),
            ("right", pl, R_SH, R_ELB, R_WR, (R_PINKY, R_INDEX, R_THUMB), -1),
        ):
            # Forward swing peaks when the other leg is most flexed at the hip (about 85 % of its cycle).
            swing = np.radians(self.r.arm_swing_deg) * np.cos(2 * np.pi * (p_other - 0.85)) - np.radians(5.0)
            elbow = out[:, sh] + ua * np.stack([np.sin(swing), np.zeros(n), -np.cos(swing)], -1)
            fore = swing + np.radians(80.0)  # forearm points forward-up from the elbow
            forward_share = np.clip((np.cos(2 * np.pi * (p_other - 0.85)) + 1) / 2, 0, 1)
            # Wrist towards the midline: at the peak forward swing it lies arm_crossover_pct of the shoulder
            # width past mid-shoulder, on the other side; behind, at the shoulder's own line [D].
            sh_width = 2 * self.sh_half
            cross_y = -sign * self.r.arm_crossover_pct / 100.0 * sh_width
            wrist_y = (out[:, sh, 1] - mid_sh[:, 1]) * (1 - forward_share) + cross_y * forward_share + mid_sh[:, 1]
            wrist = elbow + fa * np.stack([np.sin(fore), np.zeros(n), -np.cos(fore)], -1)
            wrist[:, 1] = wrist_y
            elbow[:, 1] = (out[:, sh, 1] + wrist_y) / 2
            out[:, elb], out[:, wr] = elbow, wrist
            for k, f in enumerate(fingers):
                out[:, f] = wrist + 0.6 * hand * np.stack([np.sin(fore), np.full(n, 0.02 * (k - 1)), -np.cos(fore)], -1)
        return out


# ----------------------------------------------------------------------------------------------- projection
def project(
    xyz: np.ndarray, view: str, direction: str, frame_size: tuple[int, int], px_per_m: float, ground_y_px: float
) -> np.ndarray:
    """Orthographic projection to pixels (x right, y down); the runner centred horizontally."""
    w, _ = frame_size
    X, Y, Z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    if view == "side":
        h = X if direction == "right" else -X
    elif view == "rear":
        h = -Y  # the runner's right on image right
    elif view == "front":
        h = Y
    else:
        raise ValueError(view)
    return np.stack([w / 2 + px_per_m * h, ground_y_px - px_per_m * Z], -1)


# ----------------------------------------------------------------------------------------------- clip
@dataclass
class Clip:
    """A generated pose file and its truth."""

    path: Path
    t_ms: np.ndarray
    image_xy: np.ndarray
    truth: dict
    model: Model
    view: str
    direction: str
    px_per_m: float
    ground_y_px: float
    frame_size: tuple[int, int]

    def true_xy(self, t_s: np.ndarray) -> np.ndarray:
        """Noise-free pixels at any times (for checking values against the underlying signal)."""
        return project(
            self.model.positions(t_s), self.view, self.direction, self.frame_size, self.px_per_m, self.ground_y_px
        )


def frame_times_s(duration_s: float, fps: float, vfr: tuple[float, float] | None = None) -> np.ndarray:
    """Frame times: constant ``fps``, or ``vfr = (fps2, switch_s)``: ``fps`` until ``switch_s``, then ``fps2``."""
    if vfr is None:
        return np.arange(int(round(duration_s * fps))) / fps
    fps2, switch_s = vfr
    a = np.arange(int(np.floor(switch_s * fps))) / fps
    b = a[-1] + (1 + np.arange(int(np.floor((duration_s - a[-1]) * fps2)))) / fps2
    return np.concatenate([a, b])


def make_clip(
    path: str | os.PathLike,
    *,
    view: str = "side",
    direction: str = "right",
    fps: float = 60.0,
    duration_s: float = 10.0,
    runner: Runner | None = None,
    curves: Curves | None = None,
    jitter_px: float = 0.0,
    dropout_fraction: float = 0.0,
    landmark_dropout_fraction: float = 0.0,
    vfr: tuple[float, float] | None = None,
    seed: int = 0,
    runner_height_px: float = 600.0,
    frame_size: tuple[int, int] = (1280, 720),
) -> Clip:
    """Generate a pose file (``numpy.savez``, the pose-file contract) and return it with its truth.

    Noise, all seeded: ``jitter_px`` (Gaussian, px, every coordinate),
    ``dropout_fraction`` (whole frames without a pose: NaN), and
    ``landmark_dropout_fraction`` (single landmarks lost: NaN with visibility
    0).  ``vfr = (fps2, switch_s)`` switches the frame rate part-way (true
    timestamps).
    """
    runner = runner or Runner()
    model = Model(runner, curves)
    if direction not in ("right", "left"):
        raise ValueError(direction)
    t_s = frame_times_s(duration_s, fps, vfr)
    px_per_m = runner_height_px / runner.height_m
    ground_y = frame_size[1] * 0.5 + runner_height_px * 0.5 + 10
    xy = project(model.positions(t_s), view, direction, frame_size, px_per_m, ground_y)
    rng = np.random.default_rng(seed)
    vis = np.full(xy.shape[:2], 0.98)
    noisy = xy.copy()
    if jitter_px:
        noisy = noisy + rng.normal(0.0, jitter_px, noisy.shape)
    if landmark_dropout_fraction:
        lost = rng.random(vis.shape) < landmark_dropout_fraction
        noisy[lost] = np.nan
        vis[lost] = 0.0
    if dropout_fraction:
        gone = rng.random(len(t_s)) < dropout_fraction
        noisy[gone] = np.nan
        vis[gone] = np.nan
    path = Path(path)
    np.savez(
        path,
        format=np.array(FORMAT),
        t_ms=(t_s * 1000.0).astype(np.float64),
        image_xy=noisy.astype(np.float32),
        visibility=vis.astype(np.float32),
        world_xyz=np.full(xy.shape[:2] + (3,), np.nan, dtype=np.float32),
        frame_size=np.array(frame_size, dtype=np.int32),
    )
    clip = Clip(path, t_s * 1000.0, noisy, {}, model, view, direction, px_per_m, ground_y, frame_size)
    clip.truth = truth_of(clip, t_s[0], t_s[-1])
    return clip


# ----------------------------------------------------------------------------------------------- truth
def _angle_from_vertical(dx: np.ndarray, dy_up: np.ndarray) -> np.ndarray:
    return np.degrees(np.arctan2(dx, dy_up))


def truth_of(clip: Clip, t0_s: float, t1_s: float, dense_hz: float = 2000.0) -> dict:
    """The known answers, from the definitions (docs/design.md, metric table) on the noise-free geometry.

    Returns
    -------
    dict
        ``cadence_spm``, ``stride_s``; ``contacts`` and ``toe_offs``: lists of
        ``(side, t_ms)`` from a stride before the clip to a stride after it
        (contact = 0 % of that leg's cycle, toe-off at the literature's stance
        fraction); ``per_contact``: one dict per contact with its side's knee
        flexion, shank angle and overstride at contact and its stance's
        pelvic drop, shoulder dip and trunk lateral lean peaks (every stride
        is alike); ``per_side``: the same by side; the summary of each metric
        (median of the sides) under its report name; the side-view medians
        ``head_forward_pct``, ``head_forward_deg``, ``trunk_forward_lean_deg``;
        ``vertical_oscillation_pct`` (per step, over ``leg_length_m``, the
        stance hip to ankle at mid-stance); ``arm_crossover_pct``.
    """
    m = clip.model
    r = m.r
    T = m.stride_s
    out: dict = {"cadence_spm": 120.0 / T, "stride_s": T}
    # Events from a stride before the clip to a stride after it, so that every event seen in the clip has
    # its true twin; ``clip_ms`` is the span of the clip.
    contacts = sorted(
        [(s, t) for s in ("left", "right") for t in m.contact_times(t0_s - T, t1_s + T, s)], key=lambda c: c[1]
    )
    out["contacts"] = [(s, 1000.0 * t) for s, t in contacts]
    out["toe_offs"] = [(s, 1000.0 * (t + r.toe_off_fraction * T)) for s, t in contacts]
    out["clip_ms"] = (1000.0 * t0_s, 1000.0 * t1_s)

    # One stride sampled densely (the motion is periodic; start at a left touchdown).
    ts = r.first_contact_s + np.arange(int(dense_hz * T) + 1) / dense_hz
    P = m.positions(ts)
    p_left = m.phase(ts, "left")

    # Leg length: stance hip to ankle at mid-stance (the stance's lowest mid-hip), 3-D (the true length;
    # the sagittal / frontal projections are within 0.1 % of it here).
    stance = p_left < r.toe_off_fraction
    zm = P[:, L_HIP, 2] / 2 + P[:, R_HIP, 2] / 2
    i_ms = np.flatnonzero(stance)[np.argmin(zm[stance])]
    leg = float(np.linalg.norm(P[i_ms, L_HIP] - P[i_ms, L_ANKLE]))
    out["leg_length_m"] = leg
    out["midstance_fraction"] = float(p_left[i_ms])
    # Vertical oscillation per step: peak-to-trough of the mid-hip's height between contacts.
    first_step = p_left < 0.5
    vo = [np.ptp(zm[first_step]), np.ptp(zm[~first_step])]
    out["vertical_oscillation_pct"] = float(np.median(100.0 * np.array(vo) / leg))

    # Sagittal values at contact (side projection: X forward, Z up), exact at each leg's contact instant.
    per_side: dict[str, dict] = {}
    for side, (hip_i, heel_i, toe_i, knee_i, ankle_i) in (
        ("left", (L_HIP, L_HEEL, L_TOE, L_KNEE, L_ANKLE)),
        ("right", (R_HIP, R_HEEL, R_TOE, R_KNEE, R_ANKLE)),
    ):
        t_c = r.first_contact_s + (0.5 * T if side == "right" else 0.0)
        P0 = m.positions(np.array([t_c]))[0]
        thigh, shank = P0[knee_i] - P0[hip_i], P0[ankle_i] - P0[knee_i]
        included = np.degrees(
            np.arccos(
                np.dot(-thigh[[0, 2]], shank[[0, 2]]) / np.linalg.norm(thigh[[0, 2]]) / np.linalg.norm(shank[[0, 2]])
            )
        )
        per_side[side] = {
            "knee_flexion_contact_deg": float(180.0 - included),
            "shank_angle_contact_deg": float(_angle_from_vertical(shank[0], -shank[2])),
            "overstride_pct": float(100.0 * (P0[heel_i, 0] - (P0[L_HIP, 0] + P0[R_HIP, 0]) / 2) / leg),
            "contact_foot_height_m": float(min(P0[heel_i, 2], P0[toe_i, 2])),  # 0: the model lands at 0 %
        }
    out["per_side"] = per_side
    for name in ("knee_flexion_contact_deg", "shank_angle_contact_deg", "overstride_pct", "contact_foot_height_m"):
        out[name] = float(np.median([per_side[s][name] for s in per_side]))
    out["knee_flexion_curve_at_0_deg"] = float(m.c.knee_flexion(0.0))

    # Side-view postures: medians over time (the run is periodic: over one stride).
    mid_sh = (P[:, L_SH] + P[:, R_SH]) / 2
    mid_hp = (P[:, L_HIP] + P[:, R_HIP]) / 2
    mid_ear = (P[:, L_EAR] + P[:, R_EAR]) / 2
    trunk_2d = np.hypot(mid_sh[:, 0] - mid_hp[:, 0], mid_sh[:, 2] - mid_hp[:, 2])
    out["trunk_forward_lean_deg"] = float(
        np.median(_angle_from_vertical(mid_sh[:, 0] - mid_hp[:, 0], mid_sh[:, 2] - mid_hp[:, 2]))
    )
    out["head_forward_deg"] = float(
        np.median(_angle_from_vertical(mid_ear[:, 0] - mid_sh[:, 0], mid_ear[:, 2] - mid_sh[:, 2]))
    )
    out["head_forward_pct"] = float(np.median(100.0 * (mid_ear[:, 0] - mid_sh[:, 0]) / trunk_2d))

    # Frontal values per stance (rear projection: lateral Y, Z up), signed per the definitions, each leg's stance
    # (0 % to toe-off of that leg).
    p_right = m.phase(ts, "right")
    stances = {"left": p_left < r.toe_off_fraction, "right": p_right < r.toe_off_fraction}
    toward_left = {"left": 1.0, "right": -1.0}  # +Y is the runner's left

    def stance_peak(side: str, values: np.ndarray, how: str) -> float:
        w = values[stances[side]]
        return float(w.max() if how == "max" else w[np.argmax(np.abs(w))])

    for side in ("left", "right"):
        sgn = toward_left[side]
        own, other = (L_HIP, R_HIP) if side == "left" else (R_HIP, L_HIP)
        # Pelvic drop: the swing-side hip below horizontal.
        drop = np.degrees(np.arctan2(P[:, own, 2] - P[:, other, 2], np.abs(P[:, L_HIP, 1] - P[:, R_HIP, 1])))
        own, other = (L_SH, R_SH) if side == "left" else (R_SH, L_SH)
        # Shoulder dip: shoulder-line tilt, positive = stance-side shoulder lower.
        dip = np.degrees(np.arctan2(P[:, other, 2] - P[:, own, 2], np.abs(P[:, L_SH, 1] - P[:, R_SH, 1])))
        # Trunk lateral lean: mid-hip to mid-shoulder from vertical, positive towards the stance side.
        lean = _angle_from_vertical(sgn * (mid_sh[:, 1] - mid_hp[:, 1]), mid_sh[:, 2] - mid_hp[:, 2])
        per_side[side].update(
            pelvic_drop_deg=stance_peak(side, drop, "max"),
            shoulder_dip_deg=stance_peak(side, dip, "absmax"),
            trunk_lateral_lean_deg=stance_peak(side, lean, "absmax"),
        )
    for name in ("pelvic_drop_deg", "shoulder_dip_deg", "trunk_lateral_lean_deg"):
        out[name] = float(np.median([per_side[s][name] for s in per_side]))
    # Every stride is the same: one row per contact, with its side's values.
    out["per_contact"] = [dict(side=s, t_ms=t, **per_side[s]) for s, t in out["contacts"]]

    # Arm crossover, per stride of each arm: peak of (wrist - mid-shoulder) towards the other side / shoulder width.
    width = np.abs(P[:, L_SH, 1] - P[:, R_SH, 1])
    for side, wrist in (("left", L_WR), ("right", R_WR)):
        per_side[side]["arm_crossover_pct"] = float(
            np.max(100.0 * -toward_left[side] * (P[:, wrist, 1] - mid_sh[:, 1]) / width)
        )
    out["arm_crossover_pct"] = float(np.median([per_side[s]["arm_crossover_pct"] for s in per_side]))
    return out
