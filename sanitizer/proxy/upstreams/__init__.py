"""The receivers a route can deliver to: one module per type, one registry listing them.

victorops.py, webhook.py, bigpanda.py, pagerduty.py, capture.py: each owns its option table and
config validation, its sender, its contract (the payload checks), the fields
`sanitizer check --upstream` looks for, and its refusal-notice shape, and ends with the
`UpstreamType` record `registry.py` lists. Shared pieces: `http.py` (connection options,
transports, client, the HTTP exchange), `outcome.py` (HTTP result → delivery outcome),
`contract.py` (the contract machinery), `analysis.py` (a policy read against a type's
required fields), `notices.py` and `refusals.py` (refusal notices), `config.py` (reading an
`upstream:` mapping), `body.py` (reading and writing alert bodies).
"""

from sanitizer.proxy.upstreams.analysis import check_policy_against
from sanitizer.proxy.upstreams.contract import DEFAULT_MARKER, Contract, RequiredField
from sanitizer.proxy.upstreams.http import TRANSPORTS, HttpOptions
from sanitizer.proxy.upstreams.outcome import MAX_RETRY_AFTER, outcome_of, parse_retry_after
from sanitizer.proxy.upstreams.refusals import RefusalNotices
from sanitizer.proxy.upstreams.registry import (
    CONTRACT_TYPES,
    REGISTRY,
    UPSTREAM_TYPES,
    build_upstream,
    contract_for,
    notice_body,
    required_fields,
    upstream_type,
)
from sanitizer.proxy.upstreams.upstream import Upstream, UpstreamType

__all__ = [
    "CONTRACT_TYPES",
    "DEFAULT_MARKER",
    "MAX_RETRY_AFTER",
    "REGISTRY",
    "TRANSPORTS",
    "UPSTREAM_TYPES",
    "Contract",
    "HttpOptions",
    "RefusalNotices",
    "RequiredField",
    "Upstream",
    "UpstreamType",
    "build_upstream",
    "check_policy_against",
    "contract_for",
    "notice_body",
    "outcome_of",
    "parse_retry_after",
    "required_fields",
    "upstream_type",
]
