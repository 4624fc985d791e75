"""Running the proxy: spool, delivery workers, the app under uvicorn, reload and shutdown.

SIGTERM/SIGINT: uvicorn stops accepting, finishes requests in flight, then the lifespan
shutdown stops delivery (unfinished alerts stay in the spool) and closes the spool.
SIGHUP: the config and policies are loaded again off the event loop; if anything fails
validation the old runtime keeps serving (logged and counted), else the new one is swapped in.
With `listen.tls`, the reload also puts the new certificate and key into the listener's live
`SSLContext` (new handshakes use them); turning TLS on or off, or a new `client_ca`, takes a
restart, like a new listen address.

With `admin:` the console (`sanitizer.console`) is served by a second uvicorn server on
`admin.listen`, in the same process and event loop, once the proxy is ready; SIGTERM stops
both (the console's live taps end at once) and the proxy still drains. Its admin token is
read again on SIGHUP (a new one ends the sessions opened with the old); turning the console
on or off, or moving it, takes a restart. Both addresses are bound before anything is
logged as ready (`sanitizer.proxy.listeners`): a taken port is one line, and exit status 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import socket
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any

import uvicorn

from sanitizer.console.app import build_console_app
from sanitizer.console.auth import ConsoleAuth
from sanitizer.console.context import ConsoleContext, ReloadRecord
from sanitizer.console.tap import TapHub
from sanitizer.errors import SanitizerError
from sanitizer.proxy import listeners
from sanitizer.proxy.app import Proxy
from sanitizer.proxy.config import Settings
from sanitizer.proxy.delivery import Deliverer, RetryPolicy
from sanitizer.proxy.intake import sanitize
from sanitizer.proxy.logs import loop_exception_handler
from sanitizer.proxy.metrics import DeliveryMetrics, Metrics, SpoolFigures
from sanitizer.proxy.policyworker import PolicyWorkers
from sanitizer.proxy.protocol import with_header_timeout
from sanitizer.proxy.runtime import Runtime, build_runtime
from sanitizer.proxy.shadow import shadow_summary
from sanitizer.proxy.spool import Spool, SpoolAdmin, open_admin, open_spool
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
        self.metrics.set_policies({n: r.policy for n, r in self.runtime.routes.items()})
        self.spool = open_spool(
            settings.spool_backend,
            path=settings.spool_path,
            dsn=settings.spool_dsn,
            max_bytes=settings.spool_max_bytes,
            lease=settings.spool_lease,
        )
        self.metrics.watch_spool(self._spool_figures)
        self.metrics.watch_readiness(lambda: bool(self.runtime.routes) and self.spool.writable())
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
        self.workers = PolicyWorkers(sanitize, on_restart=self.metrics.worker_restarts.inc)
        self.proxy.workers = self.workers
        self.metrics.worker_ready.set_function(lambda: 0.0 if self.workers.pid is None else 1.0)
        self.app = self.proxy.build_app(lifespan=self._lifespan)
        self.started = asyncio.Event()  # set once the lifespan has started everything
        self.ingress_url: str | None = None  # the bound address, once `serve` has bound it
        self.reloads = ReloadRecord()
        self.console: ConsoleContext | None = None
        self.console_app: Any = None
        if settings.admin is not None:
            self._build_console(settings)

    def _build_console(self, settings: Settings) -> None:
        """The console's app and what it reads; the tap hub joins intake."""
        assert settings.admin is not None
        self._admin_token = settings.admin.token
        tap = TapHub()
        self.proxy.tap = tap
        self.console = ConsoleContext(
            runtime=lambda: self.runtime,
            dead_letters=self._spool_admin(settings),
            wake_delivery=self.deliverer.wake,
            tap=tap,
            auth=ConsoleAuth(lambda: self._admin_token),
            shadow_summary=lambda route: shadow_summary(self.metrics, route),
            reload=self.reloads,
        )
        self.console_app = build_console_app(self.console)

    def _spool_admin(self, settings: Settings) -> SpoolAdmin:
        """The spool's management side for the console: the live sqlite spool itself (its
        dead-letter count follows at once), or a postgres admin connection per call."""
        if isinstance(self.spool, Spool):
            return self.spool
        return open_admin(settings.spool_backend, path=settings.spool_path, dsn=settings.spool_dsn)

    def _notice_queued(self, route: str) -> None:
        self.metrics.notices.labels(route).inc()
        self.deliverer.wake()

    def _spool_figures(self) -> SpoolFigures:
        """Queued alerts, their bytes, dead letters, the limit and when the oldest was queued,
        for the spool gauges."""
        spool = self.spool
        return SpoolFigures(
            spool.depth(),
            spool.queued_bytes(),
            spool.dead_count(),
            spool.max_bytes,
            spool.oldest_created_at(),
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Any) -> AsyncIterator[None]:
        self.workers.serve(self.runtime.routes, enabled=self.runtime.settings.sanitize_worker)
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
                "listen": self.ingress_url
                or f"{'https' if self.tls_context else 'http'}://{settings.host}:{settings.port}",
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
        self.started.set()
        try:
            yield
        finally:
            log.info("shutting down: stopping delivery, spool stays on disk")
            await self.workers.close()
            await self.deliverer.stop()
            await self.spool.close()
            await self.runtime.aclose()
            log.info("stopped", extra={"count": self.spool.depth()})

    def _refused(self, exc: Exception) -> None:
        self.metrics.count_reload(ok=False)
        self._record_reload(
            "failed",
            exc.message if isinstance(exc, SanitizerError) else f"failed ({type(exc).__name__})",
        )
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

    def _record_reload(self, result: str, message: str) -> None:
        """The last reload's outcome, for the console's /api/routes (value-free)."""
        self.reloads.result = result
        self.reloads.at = time.time()
        self.reloads.message = message

    def _reload_admin(self, old: Settings, new: Settings) -> None:
        """The console keeps serving where it started; a new admin token counts at once."""
        where = (None if old.admin is None else (old.admin.host, old.admin.port)) != (
            None if new.admin is None else (new.admin.host, new.admin.port)
        )
        if where:
            log.warning("turning the console on or off, or moving it, takes effect after a restart")
        if self.console is not None and new.admin is not None:
            self._admin_token = new.admin.token

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
        self._reload_admin(old.settings, settings)
        for name in runtime.routes:
            self.metrics.init_route(name)
        self.runtime = runtime
        self.proxy.runtime = runtime
        self.workers.serve(runtime.routes, enabled=settings.sanitize_worker)
        self.metrics.set_policies({n: r.policy for n, r in runtime.routes.items()})
        self.metrics.count_reload(ok=True)
        self._record_reload("ok", f"reloaded: {len(runtime.routes)} route(s)")
        log.info("reloaded", extra={"outcome": "reloaded", "count": len(runtime.routes)})
        await asyncio.sleep(1.0)
        await old.aclose()
        return True


class _IngressServer(uvicorn.Server):
    """The proxy's server. Its signal handlers (uvicorn's) stop the console's server too and
    end the console's live taps, so both stop together and the proxy still drains."""

    def __init__(self, config: uvicorn.Config, console: uvicorn.Server | None, tap: Any) -> None:
        super().__init__(config)
        self.console = console
        self.tap = tap

    def handle_exit(self, sig: int, frame: Any) -> None:
        if self.console is not None:
            self.console.should_exit = True
        if self.tap is not None:
            with contextlib.suppress(RuntimeError):  # no loop running yet
                asyncio.get_running_loop().call_soon_threadsafe(self.tap.close)
        super().handle_exit(sig, frame)


class _ConsoleServer(uvicorn.Server):
    """The console's server: the ingress server's signal handling stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _config(app: Any, *, loop: str, http: Any, **options: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        access_log=False,
        log_config=None,
        server_header=False,
        date_header=False,
        loop=loop,
        http=http,
        **options,
    )


def _bind(service: Service) -> tuple[list[socket.socket], list[socket.socket]]:
    """The ingress sockets and the console's (none without `admin`), bound and listening;
    one log line and exit status 1 when an address cannot be had."""
    settings = service.runtime.settings
    admin = settings.admin
    ingress: list[socket.socket] = []
    try:
        ingress = listeners.bind(settings.host, settings.port, setting="listen")
        console = (
            []
            if admin is None or service.console_app is None
            else listeners.bind(admin.host, admin.port, setting="admin.listen")
        )
    except listeners.CannotListen as exc:
        for sock in ingress:
            sock.close()
        log.error(exc.message, extra={"outcome": "cannot_listen"})
        raise SystemExit(1) from None
    service.ingress_url = listeners.url(ingress, settings.host, tls=service.tls_context is not None)
    return ingress, console


async def _run(
    service: Service,
    ingress: _IngressServer,
    ingress_sockets: list[socket.socket],
    console: _ConsoleServer | None,
    console_sockets: list[socket.socket],
) -> None:
    """Serve the proxy; once it is ready, the console beside it. Both stop together."""
    if console is None:
        await ingress.serve(sockets=ingress_sockets)
        return
    admin = service.runtime.settings.admin
    assert admin is not None

    async def console_once_ready() -> None:
        await service.started.wait()
        log.info(
            "console ready", extra={"listen": listeners.url(console_sockets, admin.host, tls=False)}
        )
        await console.serve(sockets=console_sockets)

    console_task = asyncio.create_task(console_once_ready())
    try:
        await ingress.serve(sockets=ingress_sockets)
    finally:
        console.should_exit = True
        if not service.started.is_set():
            console_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await console_task


def serve(service: Service, *, loop: str = "auto", http: Any = "auto") -> None:
    """Run until SIGTERM/SIGINT. "auto" picks uvloop and httptools when installed."""
    settings = service.runtime.settings
    tls = service.tls_context
    if http in ("auto", "httptools"):
        # httptools is a pinned dependency; its protocol gets a header deadline (slowloris).
        http = with_header_timeout(settings.limits.read_timeout)
    else:
        log.warning("the h11 parser has no header deadline; use it for measurements only")
    try:
        # Before binding and before "ready": two proxies started at the same moment on one
        # spool directory both pass `serve`'s early check; the loser stops here in one line.
        service.spool.take_ownership()
    except SanitizerError as exc:
        log.error(exc.message, extra={"outcome": "spool_owned"})
        raise SystemExit(2) from None
    ingress_sockets, console_sockets = _bind(service)
    console = None
    if console_sockets:
        console = _ConsoleServer(
            _config(
                service.console_app,
                loop=loop,
                http=http,
                lifespan="off",
                timeout_graceful_shutdown=5,
            )
        )
    config = _config(
        service.app,
        loop=loop,
        http=http,
        timeout_graceful_shutdown=30,
        lifespan="on",
        # uvicorn would build its own context from file names; the proxy's is built from the
        # checked contents and must stay the one object that SIGHUP puts new certificates in.
        ssl_context_factory=None if tls is None else (lambda config, default: tls),
    )
    ingress = _IngressServer(config, console, service.proxy.tap)
    # uvicorn drains, then raises the captured SIGTERM again against the handler that was in
    # place before it started: make that a clean exit, so a drained stop reports status 0.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
        runner.run(_run(service, ingress, ingress_sockets, console, console_sockets))


def _exit_cleanly(signum: int, frame: Any) -> None:
    raise SystemExit(0)
