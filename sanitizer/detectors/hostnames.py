"""`internal_hostname`: host names under special-use or private suffixes."""

from __future__ import annotations

from sanitizer.detectors.base import Detector

__all__ = ["DETECTORS"]

DETECTORS: tuple[Detector, ...] = ()
