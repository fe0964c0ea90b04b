"""Video in and out: the only package that opens video files.

- :mod:`~formcam.video.probe`: what a file is (size, rotation, frame rate, slow motion), or why it cannot be read.
- :mod:`~formcam.video.decode`: upright RGB frames with true timestamps.
- :mod:`~formcam.video.segments`: cutting a clip by time for threads that work on it at once.
- :mod:`~formcam.video.seek`: random access to chosen frames (evidence frames, the replay).
- :mod:`~formcam.video.sampling`: pairs of neighbouring frames over a clip, for capture quality.
- :mod:`~formcam.video.encode`: H.264 MP4 writing that plays in browsers and on phones.
"""
