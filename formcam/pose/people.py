"""Several people in view: whom formcam follows, who else was there, and ``--person``.

The pose stage links every detection into tracks (:func:`formcam.pose.detector.link_tracks`)
and keeps the most runner-like one (:func:`formcam.pose.detector.select_runner`). This
module makes that choice visible and changeable:

* **Candidates** are the tracks seen in at least :data:`MIN_CANDIDATE_FRAMES`
  frames (shorter ones are flickers or fragments). Each has an index (tracks
  are numbered in the order people first appear), the first frame it is seen,
  and its box there. report.json lists them under ``runner.candidates`` and
  ``people.jpg`` shows them (:mod:`formcam.report.preview`).
* **--person** chooses whom to analyse, in one of two ways:

  - ``--person N``: the index shown in ``people.jpg`` and report.json;
  - by position in the first frame where each person appears:
    ``--person left``, ``right`` or ``center`` (the candidate whose box centre
    is leftmost, rightmost, or nearest the middle), or ``--person X,Y`` with X
    and Y fractions of the frame's width and height (``0.25,0.6``: the
    candidate whose box centre is nearest that point).

  A number picks exactly that track (any track, candidate or not); a position
  picks among candidates only.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np

from formcam.errors import UsageError
from formcam.pose.detector import Detections, link_tracks, runner_scores, select_runner
from formcam.pose.posefile import PoseSequence
from formcam.quality.warnings import Code, QualityWarning

#: A track seen in fewer frames than this is a flicker, not a person to offer.
MIN_CANDIDATE_FRAMES = 10
#: Two detections in one frame overlapping more than this (intersection over
#: union of their boxes) are one person found twice.
DUPLICATE_IOU = 0.5
#: ``people.jpg`` shows at most this many frames side by side.
MAX_PREVIEW_PANELS = 4
#: Where ``left``, ``center`` and ``right`` look, as a fraction of the width.
POSITION_WORDS = {"left": 0.0, "center": 0.5, "centre": 0.5, "right": 1.0}

_PERSON_HELP = (
    "--person takes the number of a person shown in people.jpg, or a position in the frame: "
    "left, right, center, or X,Y as fractions of the width and height (e.g. 0.3,0.6)"
)


@dataclass(frozen=True)
class PersonChoice:
    """What ``--person`` asked for: exactly one of ``index``, ``x`` (a word) or ``point``.

    Attributes
    ----------
    text : str
        As the user wrote it.
    index : int or None
        A track index.
    x : float or None
        ``left``/``center``/``right`` as 0, 0.5, 1: compare box centres' x only.
    point : tuple of float or None
        ``(x, y)`` fractions of the frame: the nearest box centre.
    """

    text: str
    index: int | None = None
    x: float | None = None
    point: tuple[float, float] | None = None

    @property
    def by(self) -> str:
        return "index" if self.index is not None else "position"


def parse_person(spec) -> PersonChoice | None:
    """Read ``--person``: ``None``, an index, ``left``/``right``/``center``, or ``X,Y``.

    Raises
    ------
    UsageError
        For anything else, saying what is accepted.
    """
    if spec is None or isinstance(spec, PersonChoice):
        return spec
    if isinstance(spec, (int, np.integer)) and not isinstance(spec, bool):
        index = int(spec)
    else:
        text = str(spec).strip().lower()
        if text in POSITION_WORDS:
            return PersonChoice(text=text, x=POSITION_WORDS[text])
        if "," in text:
            return PersonChoice(text=text, point=_point(text))
        try:
            index = int(text)
        except ValueError:
            raise UsageError(f"{_PERSON_HELP}; got '{spec}'.") from None
    if index < 0:
        raise UsageError(f"--person numbers start at 0; got {index}.")
    return PersonChoice(text=str(index), index=index)


def _point(text: str) -> tuple[float, float]:
    try:
        x, y = (float(part) for part in text.split(","))
    except ValueError:
        raise UsageError(f"{_PERSON_HELP}; got '{text}'.") from None
    if not (0 <= x <= 1 and 0 <= y <= 1):
        raise UsageError(f"--person X,Y are fractions of the frame's width and height, between 0 and 1; got '{text}'.")
    return x, y


def detection_boxes(image_xy: np.ndarray, frame_size: tuple[int, int]) -> np.ndarray:
    """Bounding box of each detection's landmarks, clipped to the frame.

    Parameters
    ----------
    image_xy : ndarray, shape (T, K, 33, 2)
        Pixels; NaN in empty slots.
    frame_size : tuple of int
        ``(width, height)``.

    Returns
    -------
    ndarray, float64, shape (T, K, 4)
        ``x0, y0, x1, y1`` px; NaN for empty slots.
    """
    xy = np.asarray(image_xy, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # empty slots are all-NaN
        low, high = np.nanmin(xy, axis=-2), np.nanmax(xy, axis=-2)
    width, height = frame_size
    boxes = np.concatenate([low, high], axis=-1)
    return np.clip(boxes, 0, [width, height, width, height])


def drop_duplicates(detections: Detections, max_iou: float = DUPLICATE_IOU) -> Detections:
    """Remove the second detection of a person the pose model found twice in one frame.

    Looking for several people, MediaPipe sometimes returns two nearly equal
    poses of one person; linked into tracks they would look like two people.
    Of two detections in a frame whose boxes overlap by more than ``max_iou``
    (intersection over union), the one with the lower mean visibility goes.

    Parameters
    ----------
    detections : Detections
    max_iou : float

    Returns
    -------
    Detections
        A copy with duplicates set to NaN (the input is not changed).
    """
    boxes = detection_boxes(detections.image_xy, detections.frame_size)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        visibility = np.nanmean(detections.visibility, axis=-1)
    slots = boxes.shape[1]
    drop = np.zeros(boxes.shape[:2], dtype=bool)
    for a in range(slots):
        for b in range(a + 1, slots):
            same = _iou(boxes[:, a], boxes[:, b]) > max_iou
            weaker_b = np.nan_to_num(visibility[:, b], nan=-1) <= np.nan_to_num(visibility[:, a], nan=-1)
            drop[:, b] |= same & weaker_b
            drop[:, a] |= same & ~weaker_b
    if not drop.any():
        return detections
    image_xy, visibility_out, world = (
        np.array(x, copy=True) for x in (detections.image_xy, detections.visibility, detections.world_xyz)
    )
    image_xy[drop], visibility_out[drop], world[drop] = np.nan, np.nan, np.nan
    return replace(detections, image_xy=image_xy, visibility=visibility_out, world_xyz=world)


def _iou(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes ``(..., 4)``; 0 where either is missing."""
    width = np.minimum(first[..., 2], second[..., 2]) - np.maximum(first[..., 0], second[..., 0])
    height = np.minimum(first[..., 3], second[..., 3]) - np.maximum(first[..., 1], second[..., 1])
    inter = np.clip(width, 0, None) * np.clip(height, 0, None)
    union = _area(first) + _area(second) - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(np.where(union > 0, inter / union, 0.0))


def _area(box: np.ndarray) -> np.ndarray:
    return (box[..., 2] - box[..., 0]) * (box[..., 3] - box[..., 1])


def describe_tracks(detections: Detections, track_id: np.ndarray, scores) -> list[dict]:
    """One entry per track: index, frames seen, first sighting and box there, score.

    Parameters
    ----------
    detections : Detections
    track_id : ndarray, int, shape (T, K)
        From :func:`formcam.pose.detector.link_tracks`.
    scores : sequence of float
        From :func:`formcam.pose.detector.runner_scores`, one per track.

    Returns
    -------
    list of dict
        ``index``, ``frames``, ``first_frame``, ``first_t_s``, ``first_box``
        (``[x0, y0, x1, y1]`` px), ``first_centre`` (``[x, y]`` fractions of
        the frame), ``score``, ``candidate`` (seen in at least
        :data:`MIN_CANDIDATE_FRAMES` frames).
    """
    boxes = detection_boxes(detections.image_xy, detections.frame_size)
    width, height = detections.frame_size
    t0 = detections.t_ms[0] if len(detections.t_ms) else 0.0
    tracks = []
    for j in range(len(scores)):
        frames, slots = np.nonzero(track_id == j)
        if len(frames) == 0:
            continue
        box = boxes[frames[0], slots[0]]
        centre = [(box[0] + box[2]) / 2 / max(width, 1), (box[1] + box[3]) / 2 / max(height, 1)]
        tracks.append(
            {
                "index": j,
                "frames": int(len(frames)),
                "first_frame": int(frames[0]),
                "first_t_s": round(float(detections.t_ms[frames[0]] - t0) / 1000.0, 3),
                "first_box": [int(round(v)) for v in box],
                "first_centre": [round(float(c), 3) for c in centre],
                "score": round(float(scores[j]), 3),
                "candidate": bool(len(frames) >= MIN_CANDIDATE_FRAMES),
            }
        )
    return tracks


def resolve_person(choice: PersonChoice, tracks: list[dict]) -> int:
    """The track index ``choice`` designates.

    Raises
    ------
    UsageError
        An index that is not a track, or a position with nobody to choose.
    """
    if choice.index is not None:
        if not any(t["index"] == choice.index for t in tracks):
            last = max((t["index"] for t in tracks), default=-1)
            raise UsageError(
                f"--person {choice.index} is not one of the {last + 1} people formcam followed "
                f"(0 to {last}); see people.jpg."
            )
        return choice.index
    pool = [t for t in tracks if t["candidate"]] or tracks
    if not pool:
        raise UsageError(f"--person {choice.text}: nobody was found in the video to choose from.")
    if choice.x is not None:
        return min(pool, key=lambda t: abs(t["first_centre"][0] - choice.x))["index"]
    point = choice.point
    assert point is not None  # a PersonChoice is exactly one of index, x and point
    return min(pool, key=lambda t: math.dist(t["first_centre"], point))["index"]


def preview_panels(
    detections: Detections, track_id: np.ndarray, shown: list[int], max_panels: int = MAX_PREVIEW_PANELS
) -> list[dict]:
    """A few frames that between them show every person in ``shown``, with their boxes.

    Frames are picked greedily: the one showing most of the people not shown
    yet (ties: the larger boxes, so people are not cut off at an edge), until
    everyone is shown or ``max_panels`` frames are used.

    Returns
    -------
    list of dict
        ``frame`` (index in the detections), ``t_ms`` (its real time, to find
        it in the video: the pose model may have seen only some frames),
        ``t_s`` (from the first frame) and ``boxes`` (a list of
        ``{index, box}`` for every person in ``shown`` in that frame), in time
        order.
    """
    if not shown or len(detections.t_ms) == 0:
        return []
    boxes = detection_boxes(detections.image_xy, detections.frame_size)
    n_frames = len(detections.t_ms)
    present = np.zeros((n_frames, len(shown)), dtype=bool)
    area = np.zeros((n_frames, len(shown)))
    where = {}
    for c, j in enumerate(shown):
        frames, slots = np.nonzero(track_id == j)
        present[frames, c] = True
        box = boxes[frames, slots]
        area[frames, c] = np.nan_to_num((box[:, 2] - box[:, 0]) * (box[:, 3] - box[:, 1]))
        where[j] = dict(zip(frames.tolist(), box.tolist()))
    uncovered = np.ones(len(shown), dtype=bool)
    picked: list[int] = []
    while uncovered.any() and len(picked) < max_panels:
        count = present[:, uncovered].sum(axis=1)
        if count.max() == 0:
            break
        best = count == count.max()
        frame = int(np.argmax(np.where(best, area[:, uncovered].sum(axis=1), -1.0)))
        picked.append(frame)
        uncovered &= ~present[frame]
    t0 = detections.t_ms[0]
    return [
        {
            "frame": frame,
            "t_ms": float(detections.t_ms[frame]),
            "t_s": round(float(detections.t_ms[frame] - t0) / 1000.0, 3),
            "boxes": [
                {"index": j, "box": [int(round(v)) for v in where[j][frame]]} for j in shown if frame in where[j]
            ],
        }
        for frame in sorted(picked)
    ]


def choose_person(detections: Detections, person=None) -> tuple[PoseSequence, dict]:
    """Keep one person's landmarks, the runner or the one ``person`` designates, and say who else was there.

    Parameters
    ----------
    detections : Detections
        Everyone the pose model found.
    person : int, str, PersonChoice or None
        ``--person`` (see the module notes); None picks the most runner-like track.

    Returns
    -------
    pose : PoseSequence
        The chosen person; ``pose.extras.tracking`` is the ``tracking`` dict.
    tracking : dict
        :func:`formcam.pose.detector.select_runner`'s ``n_tracks``, ``chosen_track``,
        ``scores``, plus ``chosen_by`` (``auto``, ``index``, ``position``),
        ``person`` (``--person`` as given), ``candidates`` (see
        :func:`describe_tracks`; candidates and the chosen track) and
        ``preview`` (see :func:`preview_panels`).
    """
    choice = parse_person(person)
    detections = drop_duplicates(detections)
    track_id = link_tracks(detections.image_xy)
    scores = runner_scores(detections.image_xy, track_id)
    tracks = describe_tracks(detections, track_id, scores)
    index = resolve_person(choice, tracks) if choice is not None else None
    pose, tracking = select_runner(detections, person=index)
    chosen = tracking["chosen_track"]
    listed = [t for t in tracks if t["candidate"] or t["index"] == chosen]
    for t in listed:
        t["chosen"] = t["index"] == chosen
    tracking.update(
        chosen_by="auto" if choice is None else choice.by,
        person=None if choice is None else choice.text,
        candidates=listed,
        preview=preview_panels(detections, track_id, [t["index"] for t in listed]) if len(listed) > 1 else [],
    )
    pose.extras.tracking = tracking
    return pose, tracking


def runner_section(tracking: dict | None) -> dict:
    """report.json ``runner`` keys about whom formcam followed (empty without tracking data)."""
    if not tracking or "chosen_track" not in tracking:
        return {}
    return {
        "track": tracking["chosen_track"],
        "chosen_by": tracking.get("chosen_by", "auto"),
        "people_tracked": len(tracking.get("candidates", [])) or tracking.get("n_tracks", 0),
        "candidates": [{k: v for k, v in t.items() if k != "candidate"} for t in tracking.get("candidates", [])],
    }


def several_people_warning(tracking: dict | None) -> list[QualityWarning]:
    """A ``several_people`` quality warning when more than one person was a candidate."""
    if tracking is None:
        return []
    candidates = tracking.get("candidates", [])
    if len(candidates) < 2:
        return []
    chosen = tracking["chosen_track"]
    how = (
        "the one that moves most like a runner"
        if tracking.get("chosen_by", "auto") == "auto"
        else f"as asked with --person {tracking.get('person')}"
    )
    return [
        QualityWarning(
            Code.SEVERAL_PEOPLE,
            f"{len(candidates)} people were in view; formcam followed person {chosen} ({how}). "
            "people.jpg shows who is who; choose another with --person N or --person left/right/center.",
        )
    ]
