"""Vendor-issued secrets recognisable by their own format (GitHub, GitLab, Slack, Stripe, ...)."""

from __future__ import annotations

from sanitizer.detectors.base import Detector

__all__ = ["DETECTORS"]

DETECTORS: tuple[Detector, ...] = ()
