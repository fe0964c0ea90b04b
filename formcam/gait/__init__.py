"""Gait kinematics: pure numpy functions from landmarks to steps and form metrics.

Imports run one way, from the low-level helpers up to the stages that use them:

* helpers - :mod:`~formcam.gait.rhythm` (frame intervals, stride period, the
  hip's bounce), :mod:`~formcam.gait.filters` (Hampel, gap filling, low-pass,
  robust peaks), :mod:`~formcam.gait.geometry` (body scale, a foot's reach,
  knee flexion), :mod:`~formcam.gait.view` (camera view and running
  direction), :mod:`~formcam.gait.steps` (the events as data, stances,
  regular steps), :mod:`~formcam.gait.windows` (per-step windows and peaks);
* cleaning - :mod:`~formcam.gait.swaps` (left/right label errors), then
  :mod:`~formcam.gait.clean` (gate, outliers, gaps, filtering) and
  :mod:`~formcam.gait.roll` (camera roll);
* events - :mod:`~formcam.gait.foot_motion` (rear, front and oblique views),
  :mod:`~formcam.gait.events` (contacts and toe-offs), :mod:`~formcam.gait.cadence`;
* metrics - :mod:`~formcam.gait.signals` (per-frame signals),
  :mod:`~formcam.gait.contact_angles` (values at foot contact),
  :mod:`~formcam.gait.step_values` (per-step values), :mod:`~formcam.gait.registry` (every
  metric, defined once), :mod:`~formcam.gait.metrics` (summaries and flags);
* :mod:`~formcam.gait.kinematics`, whose :func:`~formcam.gait.kinematics.analyse_pose`
  runs them all on a pose sequence.
"""
