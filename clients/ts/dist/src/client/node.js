// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/** The client in Node: the same `connect`, with the `ws` package as its WebSocket (it answers server pings itself). */
import WebSocket from 'ws';
import { TickwireClient } from "./client.js";
export * from "./client.js";
export function connect(url, endpoint, options = {}) {
    return new TickwireClient(url, endpoint, { WebSocket: WebSocket, ...options });
}
