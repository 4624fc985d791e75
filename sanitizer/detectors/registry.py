"""Every built-in detector by name, most specific first.

Each family module owns its detectors and exports them as ``DETECTORS``. The order here is
precedence: when two detectors find exactly the same span, the one listed first names it
(a JWT after ``Bearer`` is labelled ``[JWT]``, not ``[TOKEN]``), and `check` and the README
list them in this order. A detector not named in `_PRECEDENCE` comes after those that are.
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

_FAMILIES = (personal, network, hostnames, vendor_tokens, credentials, assignments)

_PRECEDENCE = (
    "email",
    "phone",
    "ssn",
    "iban",
    "credit_card",
    "ipv4",
    "ipv6",
    "mac",
    "internal_hostname",
    "github_token",
    "gitlab_token",
    "slack_webhook",
    "slack_token",
    "stripe_key",
    "google_api_key",
    "sendgrid_key",
    "npm_token",
    "pypi_token",
    "vendor_key",
    "azure_storage_key",
    "pem_private_key",
    "jwt",
    "aws_access_key",
    "url_credentials",
    "bearer",
    "secret_assignment",
)


def _ordered() -> dict[str, Detector]:
    found = {detector.name: detector for family in _FAMILIES for detector in family.DETECTORS}
    rank = {name: index for index, name in enumerate(_PRECEDENCE)}
    return {name: found[name] for name in sorted(found, key=lambda n: rank.get(n, len(rank)))}


DETECTORS: Mapping[str, Detector] = types.MappingProxyType(_ordered())
