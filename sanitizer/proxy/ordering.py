"""Order per incident: alerts of one order key are sent in the order they were queued.

The order key is the receiver's own notion of an incident (PagerDuty's dedup_key, VictorOps'
entity_id), read from the queued alert by its sender. `OrderBook` knows, per key, the alerts
that later ones must not overtake: those claimed and not yet settled, and those waiting in the
spool for a retry. An alert's turn comes when nothing of its key is in flight and no alert of
its key queued before it is unsettled. A retry that has not been claimed again `grace`
seconds after its due time (another replica delivered it, or it was removed) stops holding
its key. Positions are (created_at, id): ids sort by arrival.
"""

from __future__ import annotations

from dataclasses import dataclass

Key = tuple[str, str]  # (route, order key)


@dataclass
class _Unsettled:
    position: tuple[float, str]
    expires: float | None = None  # while it waits in the spool for a retry: due + grace


class OrderBook:
    """The unsettled alerts of every order key, and the keys with an alert in flight."""

    def __init__(self, grace: float) -> None:
        self._grace = grace
        self._keys: dict[Key, dict[str, _Unsettled]] = {}
        self._busy: set[Key] = set()

    def claimed(self, key: Key, alert_id: str, created_at: float) -> None:
        """A claimed alert joins (or, back from a retry, rejoins) its key's queue."""
        self._keys.setdefault(key, {})[alert_id] = _Unsettled((created_at, alert_id))

    def turn_of(self, key: Key, alert_id: str, now: float) -> bool:
        if key in self._busy:
            return False
        entries = self._keys.get(key, {})
        mine = entries[alert_id].position if alert_id in entries else None
        for other, entry in list(entries.items()):
            if entry.expires is not None and entry.expires <= now:
                del entries[other]  # its retry is long overdue: it no longer holds the key
            elif mine is not None and entry.position < mine:
                return False
        return True

    def started(self, key: Key) -> None:
        self._busy.add(key)

    def finished(self, key: Key) -> None:
        self._busy.discard(key)

    def retrying(self, key: Key, alert_id: str, due: float) -> None:
        """The alert waits in the spool until `due`: later alerts of its key wait for it."""
        entry = self._keys.get(key, {}).get(alert_id)
        if entry is not None:
            entry.expires = due + self._grace

    def settled(self, key: Key, alert_id: str) -> None:
        """Delivered, dead-lettered or no longer claimed: it holds its key no more."""
        entries = self._keys.get(key)
        if entries is not None:
            entries.pop(alert_id, None)
            if not entries:
                del self._keys[key]

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._keys.values())
