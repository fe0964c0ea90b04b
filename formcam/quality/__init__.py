"""What limits an analysis: how the clip was filmed, and whether there is running to analyse.

- :mod:`~formcam.quality.capture`: darkness, motion blur, camera motion and letterbox bars,
  measured on frames it is handed, and the metrics each makes unreliable.
- :mod:`~formcam.quality.refusal`: whether a runner is there and running, with a one-sentence reason.
"""
