"""Video in and out: the only package that opens video files.

- :mod:`~formcam.video.decode`: probe a file and decode upright RGB frames with true timestamps.
- :mod:`~formcam.video.segments`: cutting a clip by time for threads that work on it at once.
- :mod:`~formcam.video.seek`: random access to chosen frames (evidence frames, the replay).
- :mod:`~formcam.video.encode`: H.264 MP4 writing that plays in browsers and on phones.
"""
