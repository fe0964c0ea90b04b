"""Rendered synthetic runners: real video files with known answers.

A runner is posed frame by frame by the gait model of :mod:`formcam.synthetic.gait`
(the same parameters as :func:`formcam.synthetic.gait.make_gait`), drawn as a human
figure (:mod:`formcam.synthetic.render.figure`) in a simple scene
(:mod:`formcam.synthetic.render.scene`), filmed by a virtual camera
(:mod:`formcam.synthetic.render.camera`) and written as H.264 MP4, optionally in the
containers phones write (:mod:`formcam.synthetic.render.container`). Next to each clip
goes a ground-truth JSON file: the parameters, the true metric values for the
view, the true event times, and the drawn landmarks of every frame
(:mod:`formcam.synthetic.render.clip`).

    >>> from formcam.synthetic.render import ClipSpec, Gait, render_clip
    >>> spec = ClipSpec(view="rear", gait=Gait(pelvic_drop_deg=10), duration_s=6)
    >>> files = render_clip(spec, "rear_drop10.mp4")    # doctest: +SKIP
    >>> files.truth                                      # doctest: +SKIP
    PosixPath('rear_drop10.truth.json')
"""

from formcam.synthetic.render.clip import (
    ClipFiles,
    ClipSpec,
    Gait,
    Scene,
    build_scene,
    read_truth,
    render_clip,
    truth_path,
)  # fmt: skip

__all__ = ["Gait", "ClipSpec", "ClipFiles", "Scene", "build_scene", "render_clip", "truth_path", "read_truth"]
