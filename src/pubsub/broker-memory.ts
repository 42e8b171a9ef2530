import type { Broker, BrokerEventHandler } from './broker.ts';

/**
 * In-process broker: a publication on a topic this node subscribed is handed to the hub synchronously, so
 * delivery order equals publish order. Publications on topics nobody subscribed cost one Set lookup.
 */
export class MemoryBroker implements Broker {
  private handler: BrokerEventHandler | undefined;
  private readonly topics = new Set<string>();

  setHandler(handler: BrokerEventHandler): void {
    this.handler = handler;
  }

  subscribe(topic: string): void {
    this.topics.add(topic);
  }

  unsubscribe(topic: string): void {
    this.topics.delete(topic);
  }

  publish(topic: string, data: string): void {
    if (this.topics.has(topic)) this.handler?.onPublication(topic, data);
  }

  async close(): Promise<void> {
    this.topics.clear();
  }
}
