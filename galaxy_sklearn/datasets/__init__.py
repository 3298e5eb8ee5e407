"""Galaxy images with labels: the built-in synthetic galaxies (and, later, loaders)."""

from ._synthetic import GALAXY_CLASSES, make_galaxies

__all__ = ["GALAXY_CLASSES", "make_galaxies"]
