"""Where downloaded survey files live."""

from __future__ import annotations

import os
from pathlib import Path

ENV_DATA_HOME = "GALAXY_SKLEARN_DATA"


def get_data_home(data_home=None) -> Path:
    """The folder that holds downloaded galaxy data, created if missing.

    Parameters
    ----------
    data_home : str or path-like, default=None
        The folder to use. By default the ``GALAXY_SKLEARN_DATA`` environment
        variable, else ``~/galaxy_sklearn_data``.

    Returns
    -------
    data_home : pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from galaxy_sklearn.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     get_data_home(tmp).is_dir()
    True
    """
    if data_home is None:
        data_home = os.environ.get(ENV_DATA_HOME) or Path("~", "galaxy_sklearn_data")
    path = Path(data_home).expanduser()
    path.mkdir(parents=True, exist_ok=True)
    return path
