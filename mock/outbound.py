"""The mock's outgoing HTTP (Clockify's webhook deliveries): where it may send, and how.

Where: never to the mock itself (any loopback, unspecified or local address at a port the
mock listens on — its admin API included, whatever name or spelling of the address is used),
and only to allowed receivers: ``--webhook-allow`` entries are host names (``*.example.com``
for a domain), addresses or networks (``10.0.0.0/8``), or ``*``; by default the loopback
receivers a developer runs (``localhost``, ``127.0.0.0/8``, ``::1``). A name is allowed by a
name entry only, never by what it resolves to; an allowed name is resolved (when checked) to
make sure it is not the mock.

How: each delivery runs as a task on one background event loop, so a slow or dead receiver
never holds up another delivery, nor the request that caused the event. Attempt 1 goes at
once; after failed attempt n (no answer within ``TIMEOUT`` s, a refused connection, a non-2xx
answer) attempt n+1 waits ``base * 2**(n-1)`` seconds times a random factor in [0.5, 1) —
jitter, so the retries of many deliveries spread — at most ``cap`` s, up to ``attempts`` in
all (defaults 2 s and 5: waits of about 1-2, 2-4, 4-8 and 8-16 s). Every attempt is reported
to the delivery's ``record`` (the webhook's logs); a receiver's reply is kept up to
``REPLY_LIMIT`` bytes. The loop's thread is a daemon: pending retries never delay the exit.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
DEFAULT_ALLOW = ("localhost", "127.0.0.0/8", "::1")
TIMEOUT = 5.0  # seconds a receiver has to answer one attempt
REPLY_LIMIT = 4096  # bytes of a receiver's reply that the logs keep
IN_FLIGHT = 64  # attempts on the wire at once
BACKLOG = 1000  # deliveries under way (retries pending included); beyond, refused
log = logging.getLogger("understudy.mock")


@dataclass(frozen=True)
class Schedule:
    attempts: int = 5
    base: float = 2.0  # seconds before the first retry (before jitter)
    cap: float = 300.0

    def delay(self, failed: int, rng: Callable[[], float] = random.random) -> float:
        """Seconds to wait after failed attempt ``failed`` (1-based)."""
        return min(self.cap, self.base * 2 ** (failed - 1)) * (0.5 + rng() / 2)


@dataclass(frozen=True)
class Attempt:
    number: int
    status: int  # the receiver's status; 0 when it gave no answer
    reply: str | None  # its reply (bounded), or why there was none


@dataclass
class Delivery:
    url: str
    body: bytes
    headers: dict[str, str]
    record: Callable[[Attempt], None]  # called after every attempt


class Allow:
    """The ``--webhook-allow`` entries. A name is admitted by a name entry only (it is not
    resolved to be judged: a mock never looks up the names a request makes up)."""

    def __init__(self, entries: Iterable[str]) -> None:
        self.anything = False
        self.names: set[str] = set()
        self.domains: list[str] = []
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in (e.strip().lower() for e in entries):
            if entry == "*":
                self.anything = True
            elif entry.startswith("*."):
                self.domains.append(entry[1:])
            else:
                try:
                    self.networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                except ValueError:
                    self.names.add(entry.rstrip("."))

    def admits(self, host: str) -> bool:
        literal = _literal(host)
        if self.anything:
            return True
        if literal is not None:
            return any(literal in net for net in self.networks)
        name = host.lower().rstrip(".")
        return name in self.names or any(name.endswith(d) for d in self.domains)


class Outbound:
    def __init__(
        self,
        allow: Iterable[str] = DEFAULT_ALLOW,
        schedule: Schedule | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        self.allow = Allow(allow)
        self.schedule = schedule or Schedule()
        self.timeout = timeout
        self.ports: set[int] = set()  # where the mock listens (noted from every request)
        self.hosts: set[str] = set()
        self._local: frozenset[Address] | None = None
        self._seen: set[Any] = set()
        self._lock = threading.Lock()
        self._runner: _Runner | None = None  # started by the first delivery
        self._under_way = 0

    def listening(self, server: Any) -> None:
        """Note an address the mock answers on (the ASGI scope's ``server``)."""
        if not server:
            return
        key = server if type(server) is tuple else tuple(server)  # test clients send a list
        if key in self._seen:  # the usual, cheap case
            return
        self._seen.add(key)
        self.ports.add(int(server[1]))
        self.hosts.add(str(server[0]))

    # ---------------------------------------------------------------- where
    def refusal(self, url: str) -> str | None:
        """Why the mock may not send to ``url``, or None. An admitted name is resolved to
        see that it is not the mock (a blocking lookup: ``localhost`` in practice)."""
        judged = self._admitted(url)
        if isinstance(judged, str):
            return judged
        host, port = judged
        return self._itself(host, port, _resolve(host, port))

    async def _refusal(self, url: str) -> str | None:
        judged = self._admitted(url)
        if isinstance(judged, str):
            return judged
        host, port = judged
        known = _known(host)
        if known is not None:
            return self._itself(host, port, known)
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port)
        except OSError:
            found = []
        return self._itself(host, port, _addresses(found))

    def _admitted(self, url: str) -> tuple[str, int] | str:
        """(host, port) of a URL the allow-list admits, or why it does not."""
        target = _target(url)
        if isinstance(target, str):
            return target
        host, port = target
        literal = _literal(host)
        if literal is not None and self._is_local(literal) and port in self.ports:
            return f"{host}:{port} is the mock itself"
        if not self.allow.admits(host):
            return f"{host} is not an allowed receiver (serve --webhook-allow)"
        return target

    def _itself(self, host: str, port: int, addresses: list[Address]) -> str | None:
        if port in self.ports and any(self._is_local(a) for a in addresses):
            return f"{host}:{port} is the mock itself"
        return None

    def _is_local(self, address: Address) -> bool:
        if address.is_loopback or address.is_unspecified or str(address) in self.hosts:
            return True
        if self._local is None:
            try:  # the machine's own addresses: a mock bound to 0.0.0.0 answers on them
                names = socket.gethostbyname_ex(socket.gethostname())[2]
            except OSError:
                names = []
            self._local = frozenset(ipaddress.ip_address(n) for n in names)
        return address in self._local

    # ---------------------------------------------------------------- how
    def send(self, delivery: Delivery) -> bool:
        """Start delivering (in the background); False when too many are under way."""
        with self._lock:
            if self._under_way >= BACKLOG:
                return False
            self._under_way += 1
            self._runner = self._runner or _Runner(self)
            self._runner.spawn(delivery)
        return True

    def drain(self, timeout: float = 30.0) -> bool:
        """Wait until every delivery is done, retries included (tests); False on timeout."""
        deadline = time.monotonic() + timeout
        while self._under_way and time.monotonic() < deadline:
            time.sleep(0.01)
        return not self._under_way

    def close(self) -> None:
        """Drop every pending delivery (a reset of the mock); the next send starts afresh."""
        with self._lock:
            runner, self._runner = self._runner, None
        if runner is not None:
            runner.stop()

    def _done(self) -> None:
        with self._lock:
            self._under_way -= 1

    async def deliver(self, runner: _Runner, delivery: Delivery) -> None:
        why = await self._refusal(delivery.url)
        if why is not None:  # never sent, so never retried
            _record(delivery, Attempt(1, 0, f"not sent: {why}"))
            return
        schedule = self.schedule
        for number in range(1, schedule.attempts + 1):
            attempt = await runner.attempt(delivery, number)
            _record(delivery, attempt)
            if 200 <= attempt.status < 300:
                return
            if number < schedule.attempts:
                await asyncio.sleep(schedule.delay(number))


class _Runner:
    """One event loop on a daemon thread (pending retries never hold up the mock's exit),
    with its HTTP client and its deliveries."""

    def __init__(self, outbound: Outbound) -> None:
        self.outbound = outbound
        self.loop = asyncio.new_event_loop()
        self.tasks: set[asyncio.Task[None]] = set()
        self.slots = asyncio.Semaphore(IN_FLIGHT)
        import httpx  # here, at the first delivery: importing it costs every start 0.08 s

        # identity: a compressed reply could not be bounded before it is inflated
        self.client = httpx.AsyncClient(
            timeout=outbound.timeout, headers={"Accept-Encoding": "identity"}
        )
        threading.Thread(target=self._run, name="understudy-outbound", daemon=True).start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()
        self.loop.close()

    def spawn(self, delivery: Delivery) -> None:
        self.loop.call_soon_threadsafe(self._spawn, delivery)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._shutdown(), self.loop)

    def _spawn(self, delivery: Delivery) -> None:
        task = self.loop.create_task(self.outbound.deliver(self, delivery))
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.outbound._done()

    async def _shutdown(self) -> None:
        tasks = list(self.tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # their _done has run
        await self.client.aclose()
        self.loop.stop()

    async def attempt(self, delivery: Delivery, number: int) -> Attempt:
        import httpx

        async with self.slots:
            try:
                async with self.client.stream(
                    "POST", delivery.url, content=delivery.body, headers=delivery.headers
                ) as answer:
                    return Attempt(number, answer.status_code, await _bounded(answer))
            except httpx.HTTPError as exc:  # no answer: a failed attempt
                return Attempt(number, 0, f"{type(exc).__name__}: {exc}"[:REPLY_LIMIT])


def _record(delivery: Delivery, attempt: Attempt) -> None:
    try:
        delivery.record(attempt)
    except Exception:  # a log that cannot be written must not stop the retries
        log.exception(
            "recording attempt %d of a delivery to %s failed", attempt.number, delivery.url
        )


async def _bounded(answer: httpx.Response) -> str | None:
    """At most ``REPLY_LIMIT`` bytes of the reply, decoded; the rest is never read."""
    kept = bytearray()
    async for chunk in answer.aiter_raw():
        kept += chunk[: REPLY_LIMIT - len(kept)]
        if len(kept) >= REPLY_LIMIT:
            break
    return bytes(kept).decode(answer.encoding or "utf-8", "replace") or None


def _target(url: str) -> tuple[str, int] | str:
    """(host, port) of an http(s) URL, or why it is none."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        return f"not a URL: {exc}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "only http and https URLs with a host"
    return parts.hostname, port or (443 if parts.scheme == "https" else 80)


def _literal(host: str) -> Address | None:
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


LOOPBACK = [ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")]


def _known(host: str) -> list[Address] | None:
    """The addresses of a literal, or of a name that is loopback by definition (RFC 6761:
    ``localhost`` and ``*.localhost``, a trailing dot or not); None: ask the resolver."""
    literal = _literal(host)
    if literal is not None:
        return [literal]
    name = host.lower().rstrip(".")
    return LOOPBACK if name == "localhost" or name.endswith(".localhost") else None


def _resolve(host: str, port: int) -> list[Address]:
    known = _known(host)
    if known is not None:
        return known
    try:
        return _addresses(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
    except OSError:
        return []


def _addresses(found: list[tuple[Any, ...]]) -> list[Address]:
    out = []
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        out.append(getattr(address, "ipv4_mapped", None) or address)
    return out
