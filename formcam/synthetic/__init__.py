"""Known answers: synthetic gaits and rendered runners, and the studies that use them.

Evaluation code, kept apart from the algorithms it checks:

- :mod:`~formcam.synthetic.gait`: pose sequences of a treadmill runner with known parameters.
- :mod:`~formcam.synthetic.render`: the same runner drawn into real video files.
- :mod:`~formcam.synthetic.samples`: the sample clips and ``formcam demo``.
- :mod:`~formcam.synthetic.validate`: end-to-end accuracy on rendered runners.
- :mod:`~formcam.synthetic.accuracy`: the expected error of every metric (``make accuracy``).
"""
