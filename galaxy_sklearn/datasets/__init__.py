"""Galaxy images with labels: survey loaders and the built-in synthetic galaxies."""

from ._fits import load_fits_cutouts
from ._galaxy10 import GALAXY10_VARIANTS, fetch_galaxy10, load_galaxy10
from ._galaxy_zoo2 import VOTE_COLUMNS, gz2_labels, load_galaxy_zoo2
from ._home import get_data_home
from ._sersic import make_sersic_profiles
from ._synthetic import GALAXY_CLASSES, make_galaxies

__all__ = [
    "GALAXY10_VARIANTS",
    "GALAXY_CLASSES",
    "VOTE_COLUMNS",
    "fetch_galaxy10",
    "get_data_home",
    "gz2_labels",
    "load_fits_cutouts",
    "load_galaxy10",
    "load_galaxy_zoo2",
    "make_galaxies",
    "make_sersic_profiles",
]
