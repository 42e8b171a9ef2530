/**
 * The symbol view beside the chart: the order book (`book:<SYM>:10`, rebuilt by the contract's client rule with
 * OrderBook; a gap resubscribes for a fresh snapshot) and the tape (`trades:<SYM>`: the recent trades, then each
 * trade). Built into its own panel so the page's other code is untouched; one panel, following the charted symbol.
 */
import { OrderBook } from '../client/book.ts';
import type { MarketTopicName, TickwireClient } from '../client/client.ts';
import type * as T from '../../generated/types.ts';

const DEPTH = 10;
const TAPE = 40;
const STYLE = `
#depth-panel .book { display: grid; grid-template-columns: 1fr 1fr; gap: 0 .8rem; font-variant-numeric: tabular-nums; font-size: .85rem; }
#depth-panel .book table { width: 100%; border-collapse: collapse; }
#depth-panel .book td { padding: 1px 4px; text-align: right; position: relative; }
#depth-panel .bid td:first-child { color: #26a69a; }
#depth-panel .ask td:first-child { color: #ef5350; }
#depth-panel .tape { list-style: none; margin: .5rem 0 0; padding: 0; max-height: 16rem; overflow: auto; font-variant-numeric: tabular-nums; font-size: .85rem; }
#depth-panel .tape li { display: grid; grid-template-columns: 5.5rem 1fr 1fr; }
#depth-panel .tape .buy { color: #26a69a; } #depth-panel .tape .sell { color: #ef5350; }
`;

type Client = Pick<TickwireClient<'/api/v1/ws'>, 'subscribe' | 'unsubscribe' | 'on'>;

export function mountDepthPanel(client: Client, parent: HTMLElement, onError: (err: unknown) => void): { setSymbol(symbol: string): void } {
  const style = document.createElement('style');
  style.textContent = STYLE;
  document.head.append(style);
  const panel = document.createElement('section');
  panel.className = 'panel';
  panel.id = 'depth-panel';
  panel.innerHTML = '<h2>Book &amp; tape <span class="sym"></span></h2><div class="book"><table class="bid"><tbody></tbody></table><table class="ask"><tbody></tbody></table></div><ul class="tape"></ul>';
  parent.append(panel);
  const bidBody = panel.querySelector('.bid tbody') as HTMLElement;
  const askBody = panel.querySelector('.ask tbody') as HTMLElement;
  const tape = panel.querySelector('.tape') as HTMLUListElement;
  let symbol: string | null = null;
  let book = new OrderBook(DEPTH);
  let queued = false;
  const bookTopic = () => `book:${symbol}:${DEPTH}` as MarketTopicName;
  const tradesTopic = () => `trades:${symbol}` as MarketTopicName;

  const rows = (body: HTMLElement, levels: [number, number][]) => {
    body.replaceChildren(...levels.map(([p, s]) => {
      const tr = document.createElement('tr');
      tr.innerHTML = `<td>${p.toFixed(2)}</td><td>${s.toLocaleString('en-US')}</td>`;
      return tr;
    }));
  };
  const render = () => {
    queued = false;
    rows(bidBody, book.bids());
    rows(askBody, book.asks());
    panel.dataset.u = String(book.u ?? '');
    panel.dataset.levels = String(book.bids().length + book.asks().length);
  };
  const queue = () => {
    if (queued) return;
    queued = true;
    requestAnimationFrame(render);
  };
  const addTrade = (t: T.TradeData) => {
    const li = document.createElement('li');
    li.className = t.side;
    li.innerHTML = `<span>${new Date(t.time).toISOString().slice(11, 19)}</span><span>${t.price.toFixed(2)}</span><span>${t.size.toLocaleString('en-US')}</span>`;
    tape.prepend(li);
    while (tape.children.length > TAPE) tape.lastElementChild!.remove();
    panel.dataset.trades = String(tape.children.length);
  };

  client.on('book.snapshot', (m) => {
    if (m.topic !== bookTopic()) return;
    book.snapshot(m.payload);
    queue();
  });
  client.on('book.update', (m) => {
    if (m.topic !== bookTopic()) return;
    const outcome = book.apply(m.payload);
    if (outcome === 'applied') return queue();
    if (outcome === 'gap') {
      // The contract's rule: a skipped u means the book is wrong; start again from a fresh snapshot.
      const topic = bookTopic();
      client.unsubscribe(topic).then(() => client.subscribe(topic)).catch(onError);
    }
  });
  client.on('trades.snapshot', (m) => {
    if (m.topic !== tradesTopic()) return;
    tape.replaceChildren();
    for (const t of m.payload.trades) addTrade(t);
  });
  client.on('trades.update', (m) => {
    if (m.topic === tradesTopic()) addTrade(m.payload);
  });

  return {
    setSymbol(next: string) {
      if (next === symbol) return;
      if (symbol) {
        client.unsubscribe(bookTopic()).catch(onError);
        client.unsubscribe(tradesTopic()).catch(onError);
      }
      symbol = next;
      book = new OrderBook(DEPTH);
      tape.replaceChildren();
      (panel.querySelector('.sym') as HTMLElement).textContent = `· ${next}`;
      render();
      client.subscribe(bookTopic()).catch(onError);
      client.subscribe(tradesTopic()).catch(onError);
    },
  };
}
