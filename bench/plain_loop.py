"""The baseline of `make bench`: the plain single-loop MediaPipe program anyone would write.

OpenCV decodes, PoseLandmarker (VIDEO mode, one person) infers, nothing else:
no tracking of several people, no kinematics, nothing written.

    python bench/plain_loop.py VIDEO MODEL [MAX_FRAMES]

Prints one JSON line: frames, wall seconds from the start of the script
(imports and model loading included, as for ``formcam analyze``).
"""

import time

START = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

os.environ.setdefault("GLOG_minloglevel", "2")

import cv2  # noqa: E402
import mediapipe as mp  # noqa: E402
from mediapipe.tasks.python import BaseOptions, vision  # noqa: E402


def run_plain_loop(video: str, model: str, max_frames: int | None = None) -> dict:
    """Decode ``video`` with OpenCV and give every frame to the model.

    Returns
    -------
    dict
        ``frames``; ``loop_wall_s`` and ``loop_cpu_s``: wall and process CPU
        seconds of the loop alone (model loaded, nothing else running).
    """
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=model), running_mode=vision.RunningMode.VIDEO, num_poses=1
    )
    capture = cv2.VideoCapture(video)
    frames, last_ms = 0, -1
    with vision.PoseLandmarker.create_from_options(options) as landmarker:
        wall, cpu = time.perf_counter(), time.process_time()
        while max_frames is None or frames < max_frames:
            ok, bgr = capture.read()
            if not ok:
                break
            rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
            last_ms = max(last_ms + 1, int(capture.get(cv2.CAP_PROP_POS_MSEC)))  # strictly increasing
            landmarker.detect_for_video(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb), last_ms)
            frames += 1
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    capture.release()
    return {"frames": frames, "loop_wall_s": wall, "loop_cpu_s": cpu}


def main() -> None:
    video, model = sys.argv[1], sys.argv[2]
    max_frames = int(sys.argv[3]) if len(sys.argv) > 3 else None
    frames = run_plain_loop(video, model, max_frames)["frames"]
    print(json.dumps({"frames": frames, "wall_s": time.perf_counter() - START}))


if __name__ == "__main__":
    main()
