"""Gait events as data, and the steps and stances they make.

:class:`GaitEvents` (contacts and toe-offs) is what
:func:`formcam.gait.events.detect_events` finds and what the cadence, the
metrics and the reports read; :func:`stances` pairs each contact with its
toe-off, :func:`regular_steps` picks the steps regular enough to measure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

SIDES = ("left", "right")


@dataclass(frozen=True)
class StepValue:
    """One step's value of one metric.

    Attributes
    ----------
    side : {'left', 'right'}
        The stance leg (or the arm) the value belongs to.
    frame : int
        The frame it belongs to: its peak, its contact or its step's first frame.
    value : float
        In the metric's unit; NaN where it could not be measured.
    """

    side: str
    frame: int
    value: float


@dataclass(frozen=True)
class Unavailable:
    """Why a metric has no per-step values in a clip (instead of a list of :class:`StepValue`)."""

    reason: str


def step_rows(sides, frames, values) -> list[StepValue]:
    """:class:`StepValue` rows from equal-length sequences of sides, frames and values."""
    return [
        StepValue(side, frame, value)
        for side, frame, value in zip(
            np.asarray(sides).tolist(), np.asarray(frames).tolist(), np.asarray(values, dtype=np.float64).tolist()
        )
    ]


#: Steps whose duration differs from the median step by more than this fraction are not used.
STEP_TIME_TOLERANCE = 0.30

#: Nothing rests on fewer regular (alternating, evenly timed) steps than this: not the call that a clip
#: shows running, nor a cadence (two steps of a clip that is mostly something else gave 61 steps/min for a
#: run at 178).
MIN_REGULAR_STEPS = 4


@dataclass
class GaitEvents:
    """Initial contacts and toe-offs, each sorted by frame.

    Attributes
    ----------
    contact_frames : ndarray, int, shape (n,)
    contact_sides : ndarray, str, shape (n,)
        'left' or 'right'.
    toe_off_frames : ndarray, int, shape (m,)
    toe_off_sides : ndarray, str, shape (m,)
    method : str
        How they were found: 'zeni' (side views), 'midstance' (rear, front
        and oblique views of running, steps from the hip's bounce),
        'foot_motion' (other rear, front and oblique views), or 'none'.
    contact_t_ms : ndarray, float, shape (n,) or None
        Contact times between frames where they were refined (side views:
        :func:`refine_contacts`); ``contact_frames`` is then the last frame at
        or before each.  None: the frames' times.
    """

    contact_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    contact_sides: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U5"))
    toe_off_frames: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    toe_off_sides: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U5"))
    method: str = "none"
    contact_t_ms: np.ndarray | None = None

    def contact_times(self, t_ms: np.ndarray) -> np.ndarray:
        """Contact times, ms: the refined ones where known, else the frames' times."""
        frames_t = np.asarray(t_ms, dtype=np.float64)[np.asarray(self.contact_frames, dtype=int)]
        if self.contact_t_ms is None or len(self.contact_t_ms) != len(frames_t):
            return frames_t
        return np.where(np.isfinite(self.contact_t_ms), self.contact_t_ms, frames_t)

    @property
    def n_contacts(self) -> int:
        return int(len(self.contact_frames))

    def count(self, side: str) -> int:
        """Number of contacts of one side."""
        return int(np.sum(self.contact_sides == side))

    def to_json(self, t_ms: np.ndarray) -> list[dict]:
        """Events as report.json's ``events`` list, sorted by frame."""
        t_ms = np.asarray(t_ms, dtype=np.float64)
        rows = [
            {"side": str(side), "kind": kind, "frame": int(frame), "t_ms": float(t_ms[frame])}
            for kind, frames, sides in (
                ("contact", self.contact_frames, self.contact_sides),
                ("toe_off", self.toe_off_frames, self.toe_off_sides),
            )
            for frame, side in zip(frames, sides)
        ]
        return sorted(rows, key=lambda row: (row["frame"], row["kind"]))


@dataclass(frozen=True)
class Stances:
    """Each contact with its own foot's next toe-off (-1 where none), in contact order."""

    sides: np.ndarray
    contact_frames: np.ndarray
    toe_off_frames: np.ndarray

    @property
    def complete(self) -> np.ndarray:
        """bool (n,): the stance has a toe-off."""
        return self.toe_off_frames >= 0


def stances(events: GaitEvents) -> Stances:
    """Pair each contact with its own foot's next toe-off before that foot's next contact.

    Returns
    -------
    Stances
        In contact order; ``toe_off_frames`` is -1 where no toe-off was found.
    """
    frames = np.asarray(events.contact_frames, dtype=int)
    sides = np.asarray(events.contact_sides)
    toe_offs = np.full(len(frames), -1, dtype=int)
    for side in SIDES:
        mine = np.flatnonzero(sides == side)
        offs = np.sort(np.asarray(events.toe_off_frames)[np.asarray(events.toe_off_sides) == side])
        if not mine.size or not offs.size:
            continue
        contact = frames[mine]
        nxt = np.searchsorted(offs, contact, side="right")
        has = nxt < len(offs)
        candidate = np.where(has, offs[np.minimum(nxt, len(offs) - 1)], -1)
        next_contact = np.concatenate([contact[1:], [np.iinfo(int).max]])
        ok = has & (candidate < next_contact)
        toe_offs[mine[ok]] = candidate[ok]
    return Stances(sides=sides, contact_frames=frames, toe_off_frames=toe_offs)


def regular_steps(events: GaitEvents, t_ms: np.ndarray) -> np.ndarray:
    """Indices i of contacts that start a regular step (contact i to contact i+1).

    A regular step alternates feet and lasts within :data:`STEP_TIME_TOLERANCE`
    of the median alternating step.
    """
    t_ms = np.asarray(t_ms, dtype=np.float64)
    frames = np.asarray(events.contact_frames, dtype=int)
    if len(frames) < 2:
        return np.zeros(0, dtype=int)
    sides = np.asarray(events.contact_sides)
    duration = np.diff(t_ms[frames])
    alternating = sides[1:] != sides[:-1]
    if not alternating.any():
        return np.zeros(0, dtype=int)
    typical = np.median(duration[alternating])
    regular = alternating & (np.abs(duration - typical) <= STEP_TIME_TOLERANCE * typical)
    return np.flatnonzero(regular)
