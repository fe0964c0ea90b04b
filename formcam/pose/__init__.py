"""The pose stage: video frames to one runner's 33 landmarks per frame.

- :mod:`~formcam.pose.landmarks`: BlazePose's landmark indices.
- :mod:`~formcam.pose.models`: where the MediaPipe model files are found and fetched.
- :mod:`~formcam.pose.detector`: the MediaPipe wrapper and tracking of every person.
- :mod:`~formcam.pose.people`: choosing the runner among the people seen.
- :mod:`~formcam.pose.parallel`: the pose stage over the clip, one thread per core.
- :mod:`~formcam.pose.posefile`: the pose file (``pose.npz``), the stage's cache.
"""
