"""Running fitted estimators beyond one process: blockwise inference on Dask.

Fitted estimators pickle at the size of their weights, so Dask ships them to
workers; :func:`map_blocks` runs ``transform``, ``predict`` or
``predict_proba`` on each chunk of a dask array of images, and
``GridSearchCV`` spreads its fits over a cluster through joblib's ``"dask"``
backend (see the user guide, *Scaling out*).
"""

from ._blockwise import map_blocks

__all__ = ["map_blocks"]
