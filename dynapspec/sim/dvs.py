"""The DVS pre-processing layer, vectorised: it is stateless, one event in, at most one out.

Step order and coordinate space follow U06: polarity selection and merge -> pool -> ROI (origin and
inclusive cut, in pooled pixels) -> mirror within the ROI -> diagonal swap. Polarity: ``p = 1`` is
ON, ``p = 0`` is OFF, and the output feature is ``p`` (U08), or 0 when merged (U07).
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ..config import DvsLayer


def dvs_transform(events: np.ndarray, dvs: DvsLayer) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """DVS events -> (index of each surviving input event, feature, x, y), all int64, in input order."""
    p = events["p"].astype(np.int64)
    x = events["x"].astype(np.int64) // dvs.pooling.x
    y = events["y"].astype(np.int64) // dvs.pooling.y
    keep = np.where(p == 1, dvs.on_channel, dvs.off_channel)
    keep &= (x >= dvs.origin.x) & (x <= dvs.cut.x) & (y >= dvs.origin.y) & (y <= dvs.cut.y)
    index = np.flatnonzero(keep)
    feature = np.zeros(len(index), dtype=np.int64) if dvs.merge else p[index]
    x = x[index] - dvs.origin.x
    y = y[index] - dvs.origin.y
    if dvs.mirror.x:
        x = (dvs.cut.x - dvs.origin.x) - x
    if dvs.mirror.y:
        y = (dvs.cut.y - dvs.origin.y) - y
    if dvs.mirror_diagonal:
        x, y = y, x
    return index, feature, x, y
