"""`secret_assignment`: a value assigned to a secret-sounding name, in any syntax."""

from __future__ import annotations

from sanitizer.detectors.base import Detector

__all__ = ["DETECTORS"]

DETECTORS: tuple[Detector, ...] = ()
