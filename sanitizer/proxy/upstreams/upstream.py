"""What a receiver type is: the sender a route delivers through, and the record of one type.

Each type module (victorops.py, pagerduty.py, ...) ends with one `UpstreamType` naming
everything the proxy needs of that receiver; `registry.py` lists those records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from sanitizer.proxy.delivery import Outcome
    from sanitizer.proxy.pacing import Rate
    from sanitizer.proxy.spool import SpooledAlert
    from sanitizer.proxy.upstreams.config import UpstreamConfig
    from sanitizer.proxy.upstreams.contract import Contract, RequiredField, Work
    from sanitizer.proxy.upstreams.notices import Notice


class Upstream(Protocol):
    """What the delivery loop needs from a sender."""

    type: str

    # How fast delivery may send (None: unpaced), set from the `rate:` option at build.
    rate: Rate | None

    async def send(self, alert: SpooledAlert) -> Outcome: ...

    def order_key(self, alert: SpooledAlert) -> str | None: ...

    def pace_key(self, alert: SpooledAlert) -> str: ...

    async def aclose(self) -> None: ...

    def describe(self) -> str: ...


class Sender:
    """Base of the senders: `repr()` and `str()` show `describe()`, which holds no secret.

    `order_key` names the incident an alert belongs to, as the receiver matches them (alerts of
    one key are delivered in the order they were queued); `pace_key` the receiver's rate-limit
    scope within the upstream (its routing key). Both are read from the queued alert, cheaply,
    and are never logged.
    """

    type = "?"
    rate: Rate | None = None

    def order_key(self, alert: SpooledAlert) -> str | None:
        return None

    def pace_key(self, alert: SpooledAlert) -> str:
        return ""

    def describe(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"

    __str__ = __repr__


@dataclass(frozen=True)
class UpstreamType:
    """Everything about one receiver type, each part owned by the type's module."""

    name: str
    # The keys its `upstream:` mapping accepts besides `type`.
    options: tuple[str, ...]
    # The validated mapping (and, for tests, a borrowed transport) → a sender; raises
    # `ConfigError` naming the field. Secrets are read here, so a sender that builds can send.
    build: Callable[[UpstreamConfig, httpx.AsyncBaseTransport | None], Upstream]
    sender: type[Sender]
    # The value-free stand-in alert `on_refusal: notify` queues, in this receiver's shape.
    notice: Callable[[Notice], dict[str, Any]]
    # The payload checks run after the policy (None: the receiver takes any JSON).
    checks: Callable[[Contract, Work], None] | None = None
    # What `sanitizer check --upstream` looks for in a policy's output.
    required: tuple[RequiredField, ...] = ()
    # The pacing a route gets without a `rate:` option (None: unpaced).
    rate: Rate | None = None
