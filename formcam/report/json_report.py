"""report.json: build it from an analysis, check it against the schema, write it.

:func:`formcam.analyze` gathers what it found into one typed :class:`ReportContent`;
:func:`build_report` is the one place that turns it into report.json's content.
The keys other programs rely on are fixed by ``formcam/schema/report.schema.json``
(the contract in docs/design.md); :func:`validate_report` enforces them.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from formcam import __version__
from formcam.atomic import write_text_atomic
from formcam.errors import UnreadableInputError
from formcam.inputs import require_regular_file
from formcam.pose.people import runner_section, several_people_warning
from formcam.quality.refusal import Presence, forced_notes, presence_notes
from formcam.quality.warnings import Code, QualityWarning
from formcam.schema import parse_json, schema, schema_problem

if TYPE_CHECKING:  # annotations only: PyAV and OpenCV load when an analysis runs, not when a report is read
    from formcam.gait.kinematics import Kinematics
    from formcam.quality.capture import CaptureQuality

SCHEMA_VERSION = 1


def report_schema() -> dict:
    """The JSON Schema of report.json (draft 2020-12)."""
    return schema("report")


def validate_report(report: dict) -> None:
    """Raise ``jsonschema.ValidationError`` if ``report`` breaks the contract."""
    import jsonschema  # 0.07 s to import: formcam.pipeline preloads it while the pose model runs

    jsonschema.validate(report, report_schema())


def _clean_number(value):
    """JSON has no NaN: a number the data cannot support is written as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean_number(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean_number(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalar
        return _clean_number(value.item())
    return value


@dataclass(frozen=True)
class ReportContent:
    """Everything one analysis found, typed: what report.json says.

    Attributes
    ----------
    video : dict
        The ``video`` section (see :func:`formcam.pipeline.video_section`).
    t_ms : ndarray, float64, shape (T,)
        Real-time frame timestamps, ms (the pose file's ``t_ms``).
    kinematics : Kinematics
        The analysed pose: its metrics (those the capture invalidates already
        made null) and its own quality warnings.
    height_cm : float, optional
        The runner's height, if the user gave it.
    view_source : {'detected', 'user'}
        Whether the view label was detected or set with ``--view``.
    tracking : dict, optional
        Whom the pose stage followed (the pose file's ``tracking``).
    presence : Presence, optional
        Where in the clip the runner is in view.
    forced_over : str, optional
        The refusal that ``--force`` overrode.
    capture : CaptureQuality, optional
        How the clip was filmed (``video.capture`` and its warnings).
    """

    video: dict
    t_ms: np.ndarray
    kinematics: Kinematics
    height_cm: float | None = None
    view_source: str = "detected"
    tracking: dict | None = None
    presence: Presence | None = None
    forced_over: str | None = None
    capture: CaptureQuality | None = None

    def quality(self) -> list[QualityWarning]:
        """Every warning, in report order: the decoder's, the kinematics', the capture's, then the input's."""
        presence = presence_notes(self.presence)[1] if self.presence is not None else []
        return [
            *_decode_warnings(self.video),
            *self.kinematics.quality,
            *(self.capture.warnings if self.capture is not None else []),
            *presence,
            *several_people_warning(self.tracking),
            *forced_notes(self.forced_over)[1],
        ]


def build_report(content: ReportContent) -> dict:
    """report.json's content (a dict of JSON values; numbers the data cannot support are null)."""
    kin, t_ms, video = content.kinematics, content.t_ms, content.video
    if content.capture is not None:
        video = {**video, "capture": {k: v for k, v in content.capture.to_json().items() if k != "warnings"}}
    presence = presence_notes(content.presence)[0] if content.presence is not None else {}
    events = [
        {"side": str(side), "kind": kind, "frame": int(frame), "t_ms": round(float(t_ms[frame]), 3)}
        for kind, frames, sides in (
            ("contact", kin.events.contact_frames, kin.events.contact_sides),
            ("toe_off", kin.events.toe_off_frames, kin.events.toe_off_sides),
        )
        for frame, side in zip(frames, sides)
    ]
    events.sort(key=lambda e: (e["frame"], e["kind"]))
    report = {
        "schema_version": SCHEMA_VERSION,
        "formcam_version": __version__,
        "video": video,
        "view": {
            "label": kin.view.label,
            "confidence": round(float(kin.view.confidence), 3),
            "direction": kin.view.direction,
            "source": content.view_source,
            "segments": [segment.to_json() for segment in getattr(kin, "segments", [])],
            "camera_roll": kin.roll.to_json() if getattr(kin, "roll", None) is not None else None,
        },
        "runner": {
            "detected_fraction": round(float(kin.detected_fraction), 4),
            "is_running": bool(kin.is_running),
            "not_running_reason": getattr(kin, "not_running_reason", None),
            "height_cm": content.height_cm,
            **runner_section(content.tracking),
            **presence,
            **forced_notes(content.forced_over)[0],
        },
        "cadence_spm": {
            "value": _round(kin.cadence.value_spm, 1),
            "n_steps": int(kin.cadence.n_steps),
            "confidence": _round(kin.cadence.confidence, 3),
        },
        "metrics": {name: result.to_json() for name, result in kin.metrics.items()},
        "events": events,
        "quality": [w.to_json() for w in content.quality()],
    }
    return _clean_number(report)


def _decode_warnings(video: dict) -> list[QualityWarning]:
    if video.get("decode_error"):
        return [
            QualityWarning(Code.DECODE_STOPPED_EARLY, video["decode_error"] + " Only the part before it was analysed.")
        ]
    return []


def _round(value, digits: int):
    if value is None or not math.isfinite(float(value)):
        return None
    return round(float(value), digits)


def write_report(report: dict, path: Path) -> Path:
    """Validate and write ``report`` as indented JSON, atomically."""
    validate_report(report)
    return write_text_atomic(path, json.dumps(report, indent=2, allow_nan=False) + "\n")


def read_report(path: Path) -> dict:
    """Read a report.json, refusing one whose schema version this formcam does not know or that breaks its schema.

    Numbers JSON does not allow (NaN, Infinity, 1e999) and JSON nested too
    deeply to read are refused as well: every number of a report read back is finite.
    """
    name = Path(path).name
    require_regular_file(path)  # a FIFO would block in open() for ever
    try:
        report = parse_json(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = " ".join(str(exc).split())
        raise UnreadableInputError(f"{name} cannot be read as a formcam report ({reason}).") from None
    version = report.get("schema_version") if isinstance(report, dict) else None
    if version == SCHEMA_VERSION:
        problem = schema_problem(report, "report")
        if problem is not None:
            raise UnreadableInputError(f"{name} is not a valid formcam report: {problem}.")
        return report
    if isinstance(version, int) and not isinstance(version, bool) and version > SCHEMA_VERSION:
        raise UnreadableInputError(
            f"{name} was written by a newer formcam (report schema version {version}; this formcam reads "
            f"{SCHEMA_VERSION}), which this formcam does not support: upgrade formcam to read it."
        )
    if version is None:
        raise UnreadableInputError(f"{name} is not a formcam report (it has no schema_version).")
    raise UnreadableInputError(
        f"{name} is a report of schema version {version!r}, "
        f"which this formcam (reads {SCHEMA_VERSION}) does not support."
    )
