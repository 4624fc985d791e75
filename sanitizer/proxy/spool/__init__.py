"""The durable queue between the HTTP front and the delivery workers: one SQLite file in WAL mode.

Writes (appends and the delivery workers' state changes) go through ONE writer thread that
commits whatever is pending in a single transaction (group commit), so a burst of N requests
costs a handful of fsyncs instead of N. With `synchronous=FULL` a commit is on disk when it
returns, and no caller is answered before the commit that holds its write.

Connections, one per user, never shared without a lock:
  writer thread   appends, mark_delivered, mark_retry, dead_letter (async: they await the commit)
  reader          claim_due, on the event loop: one indexed SELECT, no fsync
  admin           open/schema, and the synchronous management calls the CLI uses

Queued bytes, queued rows and dead rows are kept in a one-row `stats` table by triggers, read
inside every write transaction. The in-memory counters therefore follow writes made by other
processes too (e.g. `sanitizer spool retry` while the proxy runs) at the next commit.

One delivering process per spool directory: claims live in memory, so two proxies sharing a
spool would both deliver every alert. The `postgres` backend (`postgres`, `pgschema`,
`pgadmin`) is the queue several proxies share: claims are rows with a lease. `backend` holds the
interface both implement and opens the configured one.

Layout: `schema` opens the file and creates its tables, `operations` holds the rows and the
writes the writer commits, `deadletters` the management of alerts refused for good,
`ownership` the owner lock and the check that spool.db is still the file opened, and
`store` the `Spool` itself: its connections, counters and writer thread.
"""

from sanitizer.errors import SpoolFileReplaced
from sanitizer.proxy.spool.backend import (
    BACKENDS,
    SpoolAdmin,
    SpoolBackend,
    open_admin,
    open_spool,
)
from sanitizer.proxy.spool.operations import SpooledAlert, new_id
from sanitizer.proxy.spool.ownership import LOCK_NAME
from sanitizer.proxy.spool.schema import DB_NAME
from sanitizer.proxy.spool.store import BROKEN_RETRY_AFTER, FULL_RETRY_AFTER, Spool

__all__ = [
    "BACKENDS",
    "BROKEN_RETRY_AFTER",
    "DB_NAME",
    "FULL_RETRY_AFTER",
    "LOCK_NAME",
    "Spool",
    "SpoolAdmin",
    "SpoolBackend",
    "SpoolFileReplaced",
    "SpooledAlert",
    "new_id",
    "open_admin",
    "open_spool",
]
