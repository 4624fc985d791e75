"""Every built-in detector by name, in the order `scrub` and `guard` list them.

Each family module owns its detectors and exports them as ``DETECTORS``; adding one is a
line in that module, nothing here.
"""

from __future__ import annotations

import types
from collections.abc import Mapping

from sanitizer.detectors import (
    assignments,
    credentials,
    hostnames,
    network,
    personal,
    vendor_tokens,
)
from sanitizer.detectors.base import Detector

__all__ = ["DETECTORS"]

_FAMILIES = (personal, network, credentials, vendor_tokens, assignments, hostnames)

DETECTORS: Mapping[str, Detector] = types.MappingProxyType(
    {detector.name: detector for family in _FAMILIES for detector in family.DETECTORS}
)
