"""Quality warnings: what limits an analysis, as report.json's ``quality`` list says it.

Each warning is a :class:`QualityWarning`, a code from :data:`CODES` and one
plain sentence; report.json writes it as ``{"code": ..., "message": ...}``.
The codes are a contract (programs filter on them, ``summary.csv`` lists them):
``docs/bad-inputs.md`` documents each one, and a test keeps the two lists equal.
"""

from __future__ import annotations

from dataclasses import dataclass


class Code:
    """The warning codes: plain strings, as report.json holds them (``Code.DARK_VIDEO == "dark_video"``)."""

    # How the clip was filmed (formcam.quality.capture).
    DARK_VIDEO = "dark_video"
    DARK_SUBJECT = "dark_subject"
    MOTION_BLUR = "motion_blur"
    CAMERA_MOVING = "camera_moving"
    LETTERBOX = "letterbox"
    # The video file (formcam.report.json_report, from the decoder's note).
    DECODE_STOPPED_EARLY = "decode_stopped_early"
    # What the landmarks show (formcam.gait.kinematics).
    LOW_DETECTION = "low_detection"
    VIEW_UNCERTAIN = "view_uncertain"
    FEW_STEPS = "few_steps"
    NOT_RUNNING = "not_running"
    SLOW_MOTION_SUSPECTED = "slow_motion_suspected"
    SUBJECT_SMALL = "subject_small"
    LOW_FRAME_RATE = "low_frame_rate"
    VARIABLE_FRAME_RATE = "variable_frame_rate"
    LONG_GAPS = "long_gaps"
    CAMERA_TILTED = "camera_tilted"
    CAMERA_ROLLED = "camera_rolled"
    # Where and whether the runner runs (formcam.quality.refusal).
    PARTIAL_PRESENCE = "partial_presence"
    FORCED_ANALYSIS = "forced_analysis"
    # Whom formcam followed (formcam.pose.people).
    SEVERAL_PEOPLE = "several_people"


#: Every code a report can hold.
CODES = tuple(value for name, value in vars(Code).items() if name.isupper())


@dataclass(frozen=True)
class QualityWarning:
    """One thing that limits an analysis.

    Attributes
    ----------
    code : str
        One of :data:`CODES` (emitters name it as ``Code.X``).
    message : str
        One plain sentence for the user: what was found and, where they can,
        what to do about it.
    """

    code: str
    message: str

    def to_json(self) -> dict:
        """``{"code": ..., "message": ...}``, as report.json and the pose file hold it."""
        return {"code": self.code, "message": self.message}

    @classmethod
    def from_json(cls, data: dict) -> QualityWarning:
        """The warning :meth:`to_json` wrote (a code from another formcam version is kept as it is)."""
        return cls(code=data["code"], message=data["message"])
