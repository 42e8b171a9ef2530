/**
 * The broker moves published bytes between nodes by topic. It is node-level and never sees sockets: the hub
 * subscribes the node to a topic when the topic gets its first local subscriber and unsubscribes it after the
 * last one leaves; the broker calls back `onPublication` for every publication on a subscribed topic, in
 * publish order per topic. Implementations: broker-memory.ts (one process); a Redis broker can follow.
 */
export interface BrokerEventHandler {
  /** `data` is the encoded message (UTF-8 JSON text), identical for every subscriber. */
  onPublication(topic: string, data: string): void;
}

export interface Broker {
  /** Registers the node's handler; called once, by the hub. */
  setHandler(handler: BrokerEventHandler): void;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  publish(topic: string, data: string): void;
  close(): Promise<void>;
}
