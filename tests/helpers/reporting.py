"""A synthetic analysis with a real video behind it, for testing the reports without the pose model.

:func:`synthetic_analysis` makes a gait with known parameters
(:func:`formcam.synthetic.gait.make_gait`), a pattern video with the same frames and
times (:func:`tests.media.make_cfr_clip`), saves the pose file pointing at the
video, and runs ``formcam.analyze`` on it: the annotated video, the HTML report
with evidence frames, the CSVs and report.json are all made, in about a second.
"""

from __future__ import annotations

from pathlib import Path

from formcam.pipeline import AnalysisOptions, analyze, video_section
from formcam.pose.posefile import save_pose, video_fingerprint
from formcam.synthetic.gait import make_gait
from formcam.video.probe import probe_video
from tests.helpers.media import make_cfr_clip

FPS = 30
SIZE = (320, 240)


def synthetic_analysis(folder: Path, *, view: str = "rear", replay: bool = False, outputs=None, **gait):
    """Analyse a synthetic runner over a pattern video; return ``(Analysis, video path, pose path)``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # Rear and front runners wear the pelvis stickers, so that their pelvic drop is measured (issue 21).
    gait = {"markers": view != "side", **gait}
    pose = make_gait(view=view, fps=FPS, duration_s=6, frame_size=SIZE, runner_height_px=180, seed=1, **gait)
    clip = make_cfr_clip(folder / "clip.mp4", n_frames=pose.n_frames, fps=FPS, width=SIZE[0], height=SIZE[1])
    pose.extras.video = video_section(probe_video(clip), n_frames=pose.n_frames)
    pose.extras.video_fingerprint = video_fingerprint(clip)  # as a video analysis keeps it: drawn on this clip only
    pose_path = save_pose(pose, folder / "input.npz")
    options = AnalysisOptions(progress=False, replay=replay, **({"outputs": outputs} if outputs else {}))
    return analyze(pose_path, out_dir=folder / "out", options=options), clip, pose_path
