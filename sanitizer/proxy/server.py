"""Running the proxy: spool, delivery workers, the app under uvicorn, reload and shutdown.

SIGTERM/SIGINT: uvicorn stops accepting, finishes requests in flight, then the lifespan
shutdown stops delivery (unfinished alerts stay in the spool) and closes the spool.
SIGHUP: the config and policies are loaded again off the event loop; if anything fails
validation the old runtime keeps serving (logged and counted), else the new one is swapped in.
With `listen.tls`, the reload also puts the new certificate and key into the listener's live
`SSLContext` (new handshakes use them); turning TLS on or off, or a new `client_ca`, takes a
restart, like a new listen address.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import ssl
import time
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import uvicorn

from sanitizer.errors import SanitizerError
from sanitizer.proxy.app import Proxy
from sanitizer.proxy.config import Settings
from sanitizer.proxy.delivery import Deliverer, RetryPolicy
from sanitizer.proxy.logs import loop_exception_handler
from sanitizer.proxy.metrics import DeliveryMetrics, Metrics
from sanitizer.proxy.protocol import with_header_timeout
from sanitizer.proxy.runtime import Runtime, build_runtime
from sanitizer.proxy.spool import open_spool
from sanitizer.proxy.tls import TlsSettings, expiry_warning, load_certificate, server_context
from sanitizer.proxy.upstreams import RefusalNotices

log = logging.getLogger("sanitizer.server")


class Service:
    """Owns the long-lived parts and swaps the runtime on reload."""

    def __init__(
        self,
        settings: Settings,
        *,
        reload_settings: Callable[[], Settings] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.metrics = Metrics()
        self._environ = environ
        self._reload_settings = reload_settings
        self.runtime: Runtime = build_runtime(settings, environ=environ)
        self.tls_context: ssl.SSLContext | None = (
            None if settings.tls is None else server_context(settings.tls)
        )
        if settings.tls is not None:
            self._watch_certificate(settings.tls)
        for name in self.runtime.routes:
            self.metrics.init_route(name)
        self.spool = open_spool(
            settings.spool_backend,
            path=settings.spool_path,
            dsn=settings.spool_dsn,
            max_bytes=settings.spool_max_bytes,
            lease=settings.spool_lease,
        )
        self.metrics.watch_spool(self._spool_figures)
        delivery = settings.delivery
        self.deliverer = Deliverer(
            self.spool,
            lambda route: self.runtime.sender(route),
            workers=delivery.workers,
            retry=RetryPolicy(
                base=delivery.backoff_base, cap=delivery.backoff_cap, max_age=delivery.max_age
            ),
            events=DeliveryMetrics(self.metrics),
        )
        self.metrics.watch_delivery(self.deliverer.backlog)
        self.proxy = Proxy(
            runtime=self.runtime,
            spool=self.spool,
            metrics=self.metrics,
            wake_delivery=self.deliverer.wake,
        )
        self.proxy.notices = RefusalNotices(self.spool.append, on_queued=self._notice_queued)
        self.app = self.proxy.build_app(lifespan=self._lifespan)

    def _notice_queued(self, route: str) -> None:
        self.metrics.notices.labels(route).inc()
        self.deliverer.wake()

    def _spool_figures(self) -> tuple[int, int, int]:
        """Queued alerts, their bytes and dead letters, for the spool gauges."""
        return self.spool.depth(), self.spool.queued_bytes(), self.spool.dead_count()

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncIterator[None]:
        await self.spool.start()
        await self.deliverer.start()
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(loop_exception_handler)
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGHUP, lambda: asyncio.ensure_future(self.reload()))
        settings = self.runtime.settings
        log.info(
            "alert sanitizer ready",
            extra={
                "listen": f"{'https' if self.tls_context else 'http'}://"
                f"{settings.host}:{settings.port}",
                "count": len(self.runtime.routes),
                "path": self.spool.describe(),
            },
        )
        for route in self.runtime.routes.values():
            log.info(
                "route loaded",
                extra={
                    "route": route.name,
                    "policy": route.policy.name,
                    "upstream": route.sender.describe(),
                },
            )
        # Everything loaded so far lives as long as the process: out of the collector's
        # sight, a full collection while a large alert is sanitized (the GIL held
        # throughout) walks only that alert's objects.
        gc.freeze()
        try:
            yield
        finally:
            log.info("shutting down: stopping delivery, spool stays on disk")
            await self.deliverer.stop()
            await self.spool.close()
            await self.runtime.aclose()
            log.info("stopped", extra={"count": self.spool.depth()})

    def _refused(self, exc: Exception) -> None:
        self.metrics.reloads.labels("failed").inc()
        if isinstance(exc, SanitizerError):
            log.error(
                "reload refused, the previous config keeps serving: " + exc.message,
                extra={"outcome": "reload_failed"},
            )
        else:
            log.error(
                "reload failed, the previous config keeps serving",
                extra={"outcome": "reload_failed", "reason": type(exc).__name__},
            )

    def _reload_certificate(self, settings: Settings) -> None:
        """Put the new (already checked) certificate and key into the live context."""
        old = self.runtime.settings.tls
        if self.tls_context is None or settings.tls is None:
            if (old is None) != (settings.tls is None):
                log.warning("turning TLS on or off takes effect after a restart")
            return
        if old is not None and old.client_ca_der != settings.tls.client_ca_der:
            log.warning("a new listen.tls.client_ca takes effect after a restart")
        load_certificate(self.tls_context, settings.tls)
        log.info("certificate loaded", extra={"path": str(settings.tls.cert_path)})
        self._watch_certificate(settings.tls)

    def _watch_certificate(self, tls: TlsSettings) -> None:
        """Export the certificate's expiry, and warn in the log when it is near."""
        self.metrics.tls_expiry.labels("ingress").set(tls.expires_at)
        warning = expiry_warning(tls, time.time())
        if warning is not None:
            log.warning(warning, extra={"path": str(tls.cert_path)})

    async def reload(self) -> bool:
        """Load config and policies again; keep the old runtime on any failure."""
        if self._reload_settings is None:
            log.warning("reload asked for, but this proxy runs a built-in config")
            return False
        try:
            settings = await asyncio.to_thread(self._reload_settings)
            runtime = build_runtime(settings, environ=self._environ)
        except Exception as exc:  # fail closed: keep serving the old policy and certificate
            self._refused(exc)
            return False
        try:
            self._reload_certificate(settings)
        except Exception as exc:
            await runtime.aclose()
            self._refused(exc)
            return False
        old = self.runtime
        if (settings.host, settings.port, settings.spool_path, settings.spool_dsn) != (
            old.settings.host,
            old.settings.port,
            old.settings.spool_path,
            old.settings.spool_dsn,
        ):
            log.warning("listen address and spool path changes take effect after a restart")
        for name in runtime.routes:
            self.metrics.init_route(name)
        self.runtime = runtime
        self.proxy.runtime = runtime
        self.metrics.reloads.labels("ok").inc()
        log.info("reloaded", extra={"outcome": "reloaded", "count": len(runtime.routes)})
        await asyncio.sleep(1.0)
        await old.aclose()
        return True


def serve(service: Service, *, loop: str = "auto", http: Any = "auto") -> None:
    """Run until SIGTERM/SIGINT. "auto" picks uvloop and httptools when installed."""
    settings = service.runtime.settings
    tls = service.tls_context
    if http in ("auto", "httptools"):
        # httptools is a pinned dependency; its protocol gets a header deadline (slowloris).
        http = with_header_timeout(settings.limits.read_timeout)
    else:
        log.warning("the h11 parser has no header deadline; use it for measurements only")
    config = uvicorn.Config(
        service.app,
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_config=None,
        server_header=False,
        date_header=False,
        timeout_graceful_shutdown=30,
        loop=loop,
        http=http,
        lifespan="on",
        # uvicorn would build its own context from file names; the proxy's is built from the
        # checked contents and must stay the one object that SIGHUP puts new certificates in.
        ssl_context_factory=None if tls is None else (lambda config, default: tls),
    )
    server = uvicorn.Server(config)
    # uvicorn drains, then raises the captured SIGTERM again against the handler that was in
    # place before it started: make that a clean exit, so a drained stop reports status 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    server.run()


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)
