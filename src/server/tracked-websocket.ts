import { WebSocket } from 'ws';

/**
 * ws's WebSocket that says when it leaves OPEN (`onLeaveOpen`, called once, whoever starts the close: this server's
 * close() or terminate(), the peer's close frame, a socket that ends or fails). The gateway's WebSocketServer makes
 * its sockets with this class (ws's `WebSocket` option).
 *
 * Why: a connection's outbound queue must write no data frame once ws may have written its close frame, and reading
 * `ws.readyState` for that on every flush touched the WebSocket object once per subscriber per turn: about 3% of
 * one-topic fan-out throughput at N = 1000 (`npm run bench -- --paired --pin --replicas=4`, clean copies of both
 * versions). Told once instead, the queue keeps the answer in a field of its own.
 *
 * How: ws (8.x; the major is pinned in package.json) keeps its state in `_readyState` and assigns it on every
 * transition, from its constructor on; an accessor of the same name here sees each assignment and ws's own
 * `readyState` getter reads it back. test/server/tracked-websocket.test.ts checks every way out of OPEN, so a ws
 * release that stores its state differently fails there.
 */
export class TrackedWebSocket extends WebSocket {
  /** Set by the connection; must not throw (it runs inside ws's state changes). */
  declare onLeaveOpen: (() => void) | undefined;
  // `declare`: no class field (ws's constructor assigns the state before a subclass's fields would exist).
  declare private trackedState: number;

  get _readyState(): number {
    return this.trackedState;
  }

  set _readyState(value: number) {
    const was = this.trackedState;
    this.trackedState = value;
    if (was === WebSocket.OPEN && value !== WebSocket.OPEN) this.onLeaveOpen?.();
  }
}
