"""Plain-words texts of the reports: what each metric is, why it matters, and practical cues.

One data module, so the wording is reviewed in one place and the HTML report,
the comparison page and any future output say the same thing. Which metrics
exist, and in which order, is the registry's (:data:`formcam.gait.registry.METRICS`);
each finds its text here by its ``explanation_key``. The norms, their sources
and the expected errors are *not* here: they live with the numbers in the
registry and reach the report through report.json (``reference``, ``expected_error``).

Cues are suggestions from the coaching and physiotherapy literature, worded as
such; formcam gives no diagnosis (:data:`DISCLAIMER`).
"""

from __future__ import annotations

from dataclasses import dataclass

from formcam.gait.registry import METRICS

__all__ = ["CADENCE", "DISCLAIMER", "EXPLANATIONS", "Explanation", "HOW_TO_READ", "explanation"]


@dataclass(frozen=True)
class Explanation:
    """The plain-words text of one metric.

    Attributes
    ----------
    what : str
        What is measured, in one or two sentences a runner understands.
    why : str
        Why a runner, coach or physio would care.
    sign : str
        How to read the number (what larger or negative values mean).
    cues : tuple of str
        Practical suggestions from the coaching literature, for when the metric is flagged.
    film : str
        How to film to measure it.
    """

    what: str
    why: str
    sign: str
    cues: tuple[str, ...]
    film: str


DISCLAIMER = (
    "formcam describes how you ran in this clip; it is not medical advice and does not diagnose "
    "anything. Most norms here are group averages or formcam's own heuristics, not validated cut-offs. "
    "If you have pain or an injury, see a physiotherapist or doctor."
)

HOW_TO_READ = (
    "Each measurement is the median over your steps in this clip. Left and right are the side of the foot "
    "on the ground. Flags: ok (within the usual range), watch (outside it, worth a look), high (well "
    "outside it). A flag is a prompt to look at the evidence, not a verdict: compare with your own earlier "
    "clips (formcam compare) and mind the expected error."
)

_SIDE = "Film from the side, the camera level with the hips and square to the running direction."
_REAR = "Film from behind (or in front), the camera level with the hips, on a tripod, not tilted."
_PELVIS = (
    "Put a round sticker (2-4 cm, one bright colour such as fluorescent orange) on each dimple at the back of "
    "the pelvis and film from behind, the camera level with the hips, 3-5 m back, 60 fps where the phone allows, "
    "at least 10 s of steady running."
)

CADENCE = Explanation(
    what="Steps per minute, both feet counted, from the moments your feet touch down.",
    why=(
        "Cadence sets how long each stride is at a given speed. Recreational runners typically run at "
        "about 160-180 steps per minute; a slightly higher cadence at the same speed shortens the stride "
        "and lowers the load on the knee and hip."
    ),
    sign="More steps per minute means shorter, quicker steps at the same speed.",
    cues=(
        "If you overstride, try raising your cadence by about 5 % (a metronome app helps), keeping the same effort.",
    ),
    film="Any view where both feet are visible for several strides.",
)

EXPLANATIONS: dict[str, Explanation] = {
    "pelvic_drop_deg": Explanation(
        what=(
            "How far the pelvis drops on the side of the swinging leg while one foot is on the ground: the "
            "tilt of the line between two stickers on the dimples at the back of your pelvis, at midstance "
            "(and its largest tilt in the stance, as the peak). Without the stickers formcam does not "
            "measure it: the pose model's hip points do not follow the pelvis."
        ),
        why=(
            "A level pelvis is the runner's foundation. A large drop (contralateral pelvic drop) points to "
            "hip-abductor weakness or fatigue and is linked in studies with running injuries such as knee "
            "pain and iliotibial-band problems."
        ),
        sign="Positive: the swing-side hip is lower than the stance-side hip. Larger is more drop.",
        cues=(
            "Hip-abductor strength work is the usual suggestion: side-lying leg raises, side planks, "
            "single-leg squats or step-downs in front of a mirror, keeping the pelvis level.",
            "Think 'run tall', as if pulled up from the crown of your head.",
            "A slightly quicker cadence (about 5 %) lowers the load on the hip in several studies.",
        ),
        film=_PELVIS,
    ),
    "pelvic_drop_peak_deg": Explanation(
        what=(
            "The largest drop of the pelvis on the swinging leg's side at any moment of the stance, from "
            "the same two stickers; the clinical value (Pelvic drop) is the one at midstance."
        ),
        why=(
            "The peak shows how far the pelvis gives way at its worst in each step; a peak well above the "
            "midstance value means the drop comes late in the stance, as fatigue makes it."
        ),
        sign="Positive: the swing side is lower than the stance side. Larger is more drop.",
        cues=(
            "The same as for pelvic drop: hip-abductor strength work (side-lying leg raises, side planks, "
            "single-leg step-downs keeping the pelvis level).",
        ),
        film=_PELVIS,
    ),
    "shoulder_dip_deg": Explanation(
        what="How much the line across your shoulders tilts while one foot is on the ground.",
        why=(
            "Shoulders that dip to one side waste energy and often go with a side lean of the trunk or a "
            "dropping pelvis; a difference between left and right steps shows an asymmetry."
        ),
        sign="Positive: the shoulder on the standing leg's side is lower.",
        cues=(
            "Keep the shoulders relaxed and level; let the arms swing forward and back rather than across.",
            "Trunk-stability work such as side planks is a common suggestion for a one-sided dip.",
        ),
        film=_REAR,
    ),
    "trunk_lateral_lean_deg": Explanation(
        what="How far your trunk (hips to shoulders) leans to the side while one foot is on the ground.",
        why=(
            "Leaning towards the standing leg is a common way to make up for weak hip abductors; it is "
            "seen more often in runners with knee and groin pain."
        ),
        sign="Positive: leaning towards the standing leg. Larger is more lean.",
        cues=(
            "Hip-abductor and trunk strength work as for pelvic drop; practise single-leg balance standing tall.",
            "Think of running 'tall and quiet' through the middle, with the head over the pelvis.",
        ),
        film=_REAR,
    ),
    "head_forward_pct": Explanation(
        what=(
            "How far your ear is ahead of your shoulder, seen from the side, as a percentage of your trunk "
            "length (shoulders to hips)."
        ),
        why=(
            "The head weighs about 5 kg. Held forward of the shoulders it loads the neck and upper back and "
            "tends to round the shoulders and shorten the stride; balanced over the neck it is carried for free."
        ),
        sign="Positive: ear ahead of the shoulder. Zero: ear straight above the shoulder.",
        cues=(
            "Look ahead 10-20 m rather than down at your feet; think 'chin slightly back', tall through "
            "the crown of the head.",
            "Relax the jaw and shoulders; upper-back mobility and chin-tuck exercises are common suggestions.",
        ),
        film=_SIDE,
    ),
    "head_forward_deg": Explanation(
        what="The angle of the line from your shoulder to your ear, measured from vertical, seen from the side.",
        why="The same head posture as the head-forward distance, as an angle: independent of your trunk length.",
        sign="Positive: the head is forward of the shoulders. Zero: ear straight above the shoulder.",
        cues=("Look ahead rather than down; think 'chin slightly back', tall through the crown of the head.",),
        film=_SIDE,
    ),
    "trunk_forward_lean_deg": Explanation(
        what="How far your trunk (hips to shoulders) leans forward from vertical, seen from the side.",
        why=(
            "A slight forward lean is normal (about 7° on average in one lab study). A very upright trunk "
            "puts more load on the knee; a large bend at the waist shifts work to the hips and lower back."
        ),
        sign="Positive: leaning forward. Negative: leaning back.",
        cues=(
            "Lean slightly forward from the ankles, not by bending at the waist; keep the chest open.",
            "If your knees are sore, a little more forward lean lowers the load on the kneecap.",
        ),
        film=_SIDE,
    ),
    "vertical_oscillation_pct": Explanation(
        what="How far your hips rise and fall with each step, as a percentage of your leg length.",
        why=(
            "Some bounce is part of running, but a lot of it means energy going up instead of forward, and "
            "harder landings."
        ),
        sign="Larger: more bounce.",
        cues=("Think of running forward rather than up; a slightly quicker cadence usually lowers the bounce.",),
        film="Any view with a fixed camera (not panning up and down).",
    ),
    "vertical_oscillation_cm": Explanation(
        what="How far your hips rise and fall with each step, in centimetres (from your height).",
        why="The bounce in the unit running watches use.",
        sign="Larger: more bounce.",
        cues=("Think of running forward rather than up; a slightly quicker cadence usually lowers the bounce.",),
        film="Any view with a fixed camera; give your height with --height-cm.",
    ),
    "overstride_pct": Explanation(
        what=(
            "How far ahead of your hips your heel lands, as a percentage of your leg length, at the moment "
            "the foot touches down."
        ),
        why=(
            "Landing far ahead of the body goes with a larger braking force at each step (Lieberman et al. "
            "2015); there is no agreed limit, so compare with yourself."
        ),
        sign="Positive: the heel lands ahead of the hips. Larger: a longer reach.",
        cues=(
            "Aim to land with the foot closer under the body and the shin near vertical.",
            "Raising the cadence by about 5-10 % at the same speed usually shortens the reach.",
        ),
        film=_SIDE,
    ),
    "knee_flexion_contact_deg": Explanation(
        what="How bent your knee is at the moment the foot touches down (0° is a straight leg).",
        why=(
            "A slightly bent knee at landing absorbs the impact; landing on a nearly straight leg sends "
            "more of the shock up the leg."
        ),
        sign="Larger: a more bent knee at landing.",
        cues=("Think of landing 'softly' with the knee slightly bent, the foot under the body rather than reaching.",),
        film=_SIDE,
    ),
    "shank_angle_contact_deg": Explanation(
        what="The angle of your shin from vertical at the moment the foot touches down.",
        why=(
            "A shin close to vertical at landing goes with less braking; a shin reaching forward goes with "
            "overstriding."
        ),
        sign="Positive: the ankle lands ahead of the knee. Zero: a vertical shin.",
        cues=(
            "Aim for a more vertical shin at landing: land with the foot closer under the knee.",
            "A slightly quicker cadence usually helps.",
        ),
        film=_SIDE,
    ),
    "arm_crossover_pct": Explanation(
        what=(
            "How far your hand crosses the middle of your body during the arm swing, as a percentage of "
            "your shoulder width."
        ),
        why=(
            "Arms swinging across the body twist the trunk from side to side; a forward-and-back swing "
            "keeps the trunk quiet."
        ),
        sign="Positive: the hand crosses the midline. Negative: it stays on its own side.",
        cues=(
            "Let the arms swing forward and back, hands passing close to the hips, not across the chest.",
            "Relax the shoulders and keep the elbows at about 90°.",
        ),
        film=_REAR,
    ),
}


def explanation(name: str) -> Explanation | None:
    """The plain-words text of metric ``name`` (``cadence_spm`` included), or None for an unknown one."""
    if name == "cadence_spm":
        return CADENCE
    spec = METRICS.get(name)
    return EXPLANATIONS.get(spec.explanation_key if spec is not None else name)
