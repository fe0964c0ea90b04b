"""formcam: running-form checks from ordinary video.

The pipeline, one module per stage::

    decode   -> upright RGB frames with true timestamps      (formcam.video.decode)
    pose     -> the runner's 33 landmarks per frame          (formcam.pose.detector, formcam.pose.posefile)
    clean    -> gap-filled, zero-phase filtered landmarks    (formcam.gait.clean)
    view     -> camera view and running direction            (formcam.gait.view)
    events   -> foot contacts and toe-offs, cadence          (formcam.gait.events)
    metrics  -> per-frame signals and per-step form metrics  (formcam.gait.metrics)
    report   -> report.json, CSVs, annotated video, summary  (formcam.report)

:func:`analyze` runs them all; :func:`analyse_pose` runs everything after the
pose model on a :class:`PoseSequence` (for example one read with :func:`load_pose`).
"""

__version__ = "0.1.0"

from formcam.errors import FormcamError  # noqa: E402
from formcam.pose.posefile import PoseSequence, load_pose, save_pose  # noqa: E402


def __getattr__(name: str):
    # The heavy stages (mediapipe, PyAV) load only when used, so `import formcam` stays fast.
    if name in ("analyze", "AnalysisOptions", "Analysis"):
        from formcam import pipeline

        return getattr(pipeline, name)
    if name == "analyse_pose":
        from formcam.gait.kinematics import analyse_pose

        return analyse_pose
    raise AttributeError(f"module 'formcam' has no attribute {name!r}")


__all__ = [
    "analyze",
    "AnalysisOptions",
    "Analysis",
    "analyse_pose",
    "PoseSequence",
    "load_pose",
    "save_pose",
    "FormcamError",
]
