/** A test WebSocket client that records everything and waits for messages by predicate, with a timeout. */
import WebSocket from 'ws';

export type Msg = Record<string, any>;

export class TestClient {
  readonly messages: Msg[] = [];
  closeCode: number | undefined;
  closeReason = '';
  private waiters: { pred: (m: Msg) => boolean; from: number; resolve: (m: Msg) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }[] = [];
  private closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Msg;
      this.messages.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          clearTimeout(w.timer);
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
      for (const w of this.closeWaiters) w({ code, reason: this.closeReason });
      this.closeWaiters = [];
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new TestClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The first message (already received or future) matching `pred`, received at or after index `from`. */
  next(pred: (m: Msg) => boolean, { timeoutMs = 5000, from = 0, what = 'message' } = {}): Promise<Msg> {
    const found = this.messages.slice(from).find(pred);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.messages.length} messages, last: ${JSON.stringify(this.messages.slice(-3))}`));
      }, timeoutMs);
      this.waiters.push({ pred, from, resolve, reject, timer });
    });
  }

  /** Sends a request with an id and waits for the reply carrying that id. */
  async request(message: Msg, timeoutMs = 5000): Promise<Msg> {
    const id = message.id ?? `r${Math.random().toString(36).slice(2, 10)}`;
    this.send({ ...message, id });
    return this.next((m) => m.id === id, { timeoutMs, what: `reply to ${id}` });
  }

  /** Resolves with the close code and reason (immediately if already closed). */
  closed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    if (this.closeCode !== undefined) return Promise.resolve({ code: this.closeCode, reason: this.closeReason });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for close`)), timeoutMs);
      this.closeWaiters.push((c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
  }

  count(pred: (m: Msg) => boolean, from = 0): number {
    return this.messages.slice(from).filter(pred).length;
  }

  close(): void {
    if (this.ws.readyState <= 1) this.ws.terminate();
  }
}
