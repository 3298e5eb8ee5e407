"""Classical non-parametric morphology: C, A, S, Gini, M20 and shape.

:class:`MorphologyFeatures` measures them on a whole batch at once, with the
definitions of statmorph (Rodriguez-Gomez et al. 2019); ``MORPHOLOGY_FLAGS``
names the bits of its ``flag`` column.
"""

from ._features import MORPHOLOGY_FLAGS, MorphologyFeatures

__all__ = ["MORPHOLOGY_FLAGS", "MorphologyFeatures"]
