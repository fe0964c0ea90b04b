"""Gait kinematics: pure numpy functions from landmarks to steps and form metrics.

Imports run one way, in the order of the stages:
:mod:`~formcam.gait.clean` (swaps, outliers, gaps, filtering), :mod:`~formcam.gait.view`
(camera view and running direction), :mod:`~formcam.gait.roll` (camera roll),
:mod:`~formcam.gait.events` (contacts, toe-offs, cadence), :mod:`~formcam.gait.metrics`
(per-frame signals and per-step metrics), and :mod:`~formcam.gait.kinematics`, whose
:func:`~formcam.gait.kinematics.analyse_pose` runs them all on a pose sequence.
"""
