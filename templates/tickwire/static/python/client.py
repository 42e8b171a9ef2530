"""An asyncio client for a Tickwire gateway (requires the `websockets` package, 10.x or later).

Behaviour, the same as the TypeScript client's:
- requests carry an `id`; `request()` resolves with the reply or raises TickwireError(code, message, field);
- unknown fields and unknown message types are ignored (the contract's evolution rule);
- reconnects with exponential backoff and jitter after a drop or a 4000-4499 close; never after 4500-4999
  (`closed` then holds the code);
- restores subscriptions after a reconnect and recovers what was missed: per topic it keeps the epoch and the last
  `seq` delivered, resubscribes with `since`, drops duplicates (`seq <= last`) and resubscribes on a gap;
  `on_recovery` reports each outcome (`recovered` False means missed publications are lost for this client);
- heartbeat: an application `ping` every `heartbeat` seconds; no answer within another period drops the connection.
"""
import asyncio
import json
import random
from typing import Any, Awaitable, Callable, Dict, List, Optional, Union
from urllib.parse import quote, urlencode

import websockets

from .models import CLOSE_CODES, REQUESTS

Handler = Callable[[Dict[str, Any]], Union[None, Awaitable[None]]]
_NO_RECONNECT = {code for (code, _reason, again) in CLOSE_CODES.values() if not again}


class TickwireError(Exception):
    """An error reply (`code` from the contract's error table, `field` for INVALID_MESSAGE) or a client failure."""

    def __init__(self, code: str, message: str, field: Optional[str] = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.field = field


class TickwireClient:
    """One connection to one endpoint (`/api/v1/ws` by default), kept open until `close()`."""

    def __init__(self, url: str, endpoint: str = "/api/v1/ws", *, token: Optional[str] = None,
                 heartbeat: float = 15.0, backoff: tuple = (0.25, 10.0), request_timeout: float = 10.0,
                 recover: bool = True):
        base = url.rstrip("/")
        if base.startswith("http"):
            base = "ws" + base[4:]
        self.url = base
        self.endpoint = endpoint
        self.token = token
        self.heartbeat = heartbeat
        self.backoff = backoff
        self.request_timeout = request_timeout
        self.recover = recover
        self.closed: Optional[int] = None
        self._handlers: Dict[str, List[Handler]] = {}
        self._recovery: List[Handler] = []
        self._pending: Dict[str, asyncio.Future] = {}
        self._next_id = 0
        self._ws = None
        self._open = asyncio.Event()
        self._task: Optional[asyncio.Task] = None
        self._stopping = False
        # topic -> {"epoch", "offset"}: the position to resume from; bars topics also keep their request.
        self._positions: Dict[str, Dict[str, Any]] = {}
        # request id -> the `since` a pending bars.subscribe carried (None: a first subscribe).
        self._asked: Dict[str, Optional[Dict[str, Any]]] = {}
        self._bars: Dict[str, Dict[str, str]] = {}
        self._last_seen = 0.0

    # ------------------------------------------------------------------------------------------ public API

    def on(self, msg_type: str, handler: Handler) -> None:
        """Calls `handler(message)` for every message of `msg_type` the server sends (`*`: every message)."""
        self._handlers.setdefault(msg_type, []).append(handler)

    def on_recovery(self, handler: Handler) -> None:
        """Calls `handler({topic, recovered, reason?, asOf})` after every resubscribe with `since`."""
        self._recovery.append(handler)

    def positions(self) -> Dict[str, Dict[str, Any]]:
        """Per topic, the position a reconnect resumes from."""
        return {t: dict(p) for t, p in self._positions.items()}

    async def connect(self) -> None:
        """Opens the connection (and keeps it open in the background); returns once it is open."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._run())
        await asyncio.wait_for(self._wait_open(), timeout=self.request_timeout)

    async def request(self, msg_type: str, **fields: Any) -> Dict[str, Any]:
        """Sends a request with a fresh `id`; the reply, or TickwireError for an `error` reply."""
        await self._wait_open()
        self._next_id += 1
        rid = f"py{self._next_id}"
        fut = asyncio.get_running_loop().create_future()
        self._pending[rid] = fut
        if msg_type == "bars.subscribe":
            self._asked[rid] = (fields.get("payload") or {}).get("since")
        try:
            await self._ws.send(json.dumps({"type": msg_type, "id": rid, **fields}))
            return await asyncio.wait_for(fut, timeout=self.request_timeout)
        finally:
            self._pending.pop(rid, None)
            self._asked.pop(rid, None)

    async def subscribe(self, symbol: str, resolution: str = "1") -> Dict[str, Any]:
        """`/api/v1/ws`: subscribes to `bars:<symbol>:<resolution>`; the `bars.subscribe.response` payload."""
        topic = f"bars:{symbol}:{resolution}"
        self._bars[topic] = {"symbol": symbol, "resolution": resolution}
        payload: Dict[str, Any] = {"symbol": symbol, "resolution": resolution}
        if self.recover and topic in self._positions:
            payload["since"] = self._positions[topic]
        try:
            # The reply's position is taken when it is read (_dispatch), before the updates that follow it.
            reply = await self.request("bars.subscribe", payload=payload)
        except TickwireError:
            self._bars.pop(topic, None)
            raise
        return reply["payload"]

    async def unsubscribe(self, symbol: str, resolution: str = "1") -> Dict[str, Any]:
        topic = f"bars:{symbol}:{resolution}"
        self._bars.pop(topic, None)
        self._positions.pop(topic, None)
        reply = await self.request("bars.unsubscribe", payload={"symbol": symbol, "resolution": resolution})
        return reply["payload"]

    async def close(self) -> None:
        """Closes for good (no reconnect)."""
        self._stopping = True
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    # ------------------------------------------------------------------------------------------ internals

    async def _wait_open(self) -> None:
        while not self._open.is_set():
            if self.closed is not None:
                raise TickwireError("CLOSED", f"connection closed with {self.closed}; not reconnecting")
            try:
                await asyncio.wait_for(self._open.wait(), timeout=0.5)
            except asyncio.TimeoutError:
                pass

    def _connect_url(self) -> str:
        query: Dict[str, str] = {}
        if self.token:
            query["token"] = self.token
        if self.recover and self.endpoint != "/api/v1/ws" and self._positions:
            query["since"] = json.dumps(self._positions, separators=(",", ":"))
        return self.url + self.endpoint + (("?" + urlencode(query, quote_via=quote)) if query else "")

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            try:
                async with websockets.connect(self._connect_url(), max_size=2 ** 22) as ws:
                    self._ws = ws
                    attempt = 0
                    self._open.set()
                    restore = asyncio.ensure_future(self._restore())
                    beat = asyncio.ensure_future(self._heartbeat(ws))
                    try:
                        async for frame in ws:
                            self._last_seen = asyncio.get_running_loop().time()
                            await self._dispatch(frame)
                    finally:
                        beat.cancel()
                        restore.cancel()
                    code = ws.close_code
            except (OSError, websockets.exceptions.WebSocketException, asyncio.TimeoutError):
                code = None
            self._open.clear()
            self._ws = None
            for fut in self._pending.values():
                if not fut.done():
                    fut.set_exception(TickwireError("DISCONNECTED", "the connection dropped before the reply"))
            if self._stopping:
                break
            if code in _NO_RECONNECT:
                self.closed = code
                break
            attempt += 1
            low, high = self.backoff
            delay = min(high, low * 2 ** (attempt - 1))
            await asyncio.sleep(delay * (0.5 + random.random() / 2))

    async def _restore(self) -> None:
        """After a (re)connect: every bars topic held is subscribed again, with `since` when a position is known."""
        for topic, req in list(self._bars.items()):
            try:
                await self.subscribe(req["symbol"], req["resolution"])
            except TickwireError:
                pass

    async def _heartbeat(self, ws) -> None:
        loop = asyncio.get_running_loop()
        self._last_seen = loop.time()
        while True:
            await asyncio.sleep(self.heartbeat)
            if loop.time() - self._last_seen > 2 * self.heartbeat:
                await ws.close(code=4004, reason="heartbeat timeout")
                return
            await ws.send(json.dumps({"type": "ping"}))

    def _answered(self, topic: str, state: Dict[str, Any], since: Optional[Dict[str, Any]]) -> None:
        """A bars.subscribe reply: the position it is current to; with `since`, also the recovery event."""
        as_of = state.get("asOf")
        before = self._positions.get(topic)
        if not as_of or (since is None and before is not None):
            return
        if since is None or state.get("recovered") is not True:
            # A first subscribe, or continuity lost: the snapshot that follows is current to asOf.
            self._apply_state(topic, state, since is not None)
            return
        # Recovered: the replay that follows moves the offset on from where it stands, never back.
        start = max(before["offset"], since["offset"]) if before and before["epoch"] == since["epoch"] else since["offset"]
        self._positions[topic] = {"epoch": as_of["epoch"], "offset": start}
        self._emit_recovery(topic, state, as_of)

    def _apply_state(self, topic: str, state: Dict[str, Any], with_since: bool) -> None:
        as_of = state.get("asOf")
        if not as_of:
            return
        self._positions[topic] = {"epoch": as_of["epoch"], "offset": as_of["offset"]}
        if with_since:
            self._emit_recovery(topic, state, as_of)

    def _emit_recovery(self, topic: str, state: Dict[str, Any], as_of: Dict[str, Any]) -> None:
        event = {"topic": topic, "recovered": state.get("recovered", False), "asOf": as_of}
        if "reason" in state:
            event["reason"] = state["reason"]
        for h in self._recovery:
            h(event)

    async def _dispatch(self, frame: Union[str, bytes]) -> None:
        try:
            msg = json.loads(frame)
        except ValueError:
            return
        if not isinstance(msg, dict):
            return
        rid = msg.get("id")
        if isinstance(rid, str) and rid in self._pending:
            fut = self._pending[rid]
            if msg.get("type") == "bars.subscribe.response" and isinstance(msg.get("payload"), dict):
                # Here, in the order the server sent it, not when the awaiting coroutine resumes: by then the updates
                # after the reply may have been handled, and a position set late would move the offset back (a
                # false gap, a resync, and updates handed on twice).
                payload = msg["payload"]
                if isinstance(payload.get("topic"), str):
                    self._answered(payload["topic"], payload, self._asked.get(rid))
            if not fut.done():
                if msg.get("type") == "error":
                    err = msg.get("payload") or msg.get("data") or msg
                    fut.set_exception(TickwireError(err.get("code", "INTERNAL_ERROR"), err.get("message", ""), err.get("field")))
                else:
                    fut.set_result(msg)
            return
        # Stream endpoints report positions in `connected`.
        positions = (msg.get("data") or {}).get("positions") if msg.get("type") == "connected" else msg.get("positions")
        if isinstance(positions, dict):
            for topic, state in positions.items():
                # `reason` or `recovered: true` only come back when `since` was sent.
                self._apply_state(topic, state, "reason" in state or state.get("recovered") is True)
        topic, seq = msg.get("topic"), msg.get("seq")
        if self.recover and isinstance(topic, str) and isinstance(seq, int) and topic in self._positions:
            last = self._positions[topic]["offset"]
            if seq <= last:
                return  # a duplicate
            if seq > last + 1:
                await self._resync(topic)  # a gap: do not apply; recover from the last position
                return
            self._positions[topic]["offset"] = seq
        for h in self._handlers.get(msg.get("type", ""), []) + self._handlers.get("*", []):
            result = h(msg)
            if asyncio.iscoroutine(result):
                await result

    async def _resync(self, topic: str) -> None:
        req = self._bars.get(topic)
        if req is not None:
            # Resubscribing a topic already held is allowed; the reply says whether the gap was filled.
            asyncio.ensure_future(self._resubscribe(req))
        elif self._ws is not None:
            await self._ws.close(code=4005, reason="gap; reconnecting with since")

    async def _resubscribe(self, req: Dict[str, str]) -> None:
        try:
            await self.subscribe(req["symbol"], req["resolution"])
        except TickwireError:
            pass
