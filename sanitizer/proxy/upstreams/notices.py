"""What every refusal notice says, whatever the receiver's shape.

A route with `on_refusal: notify` queues, at most once per interval for each (route, rule), a
stand-in alert that says only: which route, which rule, how many alerts were withheld since the
last notice. Its entity is stable per route and rule, so the upstream groups the notices into
one incident. Each type module shapes a `Notice` for its receiver; `refusals.py` rate-limits
and queues them.
"""

from __future__ import annotations

from dataclasses import dataclass

# The source every notice names: the sanitizer itself.
SOURCE = "alert-sanitizer"


@dataclass(frozen=True)
class Notice:
    """`count` alerts on `route` refused by `rule`; nothing of the alerts themselves."""

    route: str
    rule: str
    count: int

    @property
    def entity(self) -> str:
        """Stable per route and rule, so the receiver groups the notices into one incident."""
        return f"{SOURCE}/refused/{self.route}/{self.rule}"

    @property
    def summary(self) -> str:
        return (
            f"{self.count} alert(s) on route {self.route} withheld by the sanitizer: rule "
            f"{self.rule} refused them. The originals were not forwarded; check the "
            "sanitizer's logs and policy."
        )
