'use strict';
const { HEADER } = require('./model.cjs');

const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const camel = (id) => id.charAt(0).toLowerCase() + id.slice(1);

/**
 * The contract half of the typed client: per endpoint, its outbound messages by `type`, its requests with their
 * replies, where an error message carries its code, and its heartbeat (a request without `id` answered by one
 * message). Types and plain data only: the hand-written core in src/client/ (which imports this file, never the
 * reverse) turns them into a reconnecting, validating socket.
 */
function generateClient(model) {
  const { messages, spec } = model;
  const schemas = spec.components.schemas;
  const props = (m) => (schemas[messages[m].schemaName] || {}).properties || {};
  const out = [HEADER,
    "import type * as T from './types.ts';",
    "import * as M from './messages.ts';",
    "import * as A from './topics.ts';",
    "import type { ValidatorTable } from './runtime.ts';",
    '',
    '// ---------------------------------------------------------------- enums of the contract, as values',
    '',
  ];
  for (const [name, s] of Object.entries(schemas)) {
    if (Array.isArray(s.enum) && s.enum.every((v) => typeof v === 'string')) {
      out.push(`export const ${name}Values = [${s.enum.map(q).join(', ')}] as const satisfies readonly T.${name}[];`);
    }
  }
  out.push('',
    '/** What the client core needs to know about one endpoint, as data. */',
    'export interface ClientEndpointInfo {',
    '  readonly id: string;',
    '  readonly address: string;',
    '  /** Path parameters (in order); an endpoint with parameters needs them to build its URL. */',
    '  readonly params: readonly string[];',
    '  readonly buildPath?: (params: Record<string, string>) => A.AddressResult<string>;',
    '  /** Validators of the messages the server sends, keyed by `type`: open (fields added later pass; ignore them). */',
    '  readonly outbound: ValidatorTable;',
    '  /** Requests correlated by `id`: request `type` → the `type`s of its possible replies. */',
    '  readonly requests: Readonly<Record<string, readonly string[]>>;',
    "  /** The outbound `type` that reports a failure, and where its {code, message, field} sit. */",
    "  readonly error: { readonly type: string; readonly at: 'root' | 'payload' | 'data' } | null;",
    '  /** Application-level heartbeat: the client sends `ping`, the server answers `pong`. */',
    '  readonly heartbeat: { readonly ping: string; readonly pong: string } | null;',
    '}',
    '',
  );

  const typesOut = ['/** Per endpoint address: its messages and requests, for typing the client. */', 'export interface ClientEndpoints {'];
  const infoOut = ['/** Per endpoint address: the data the client core works from. */', 'export const clientEndpoints = {'];
  for (const e of model.endpoints) {
    const v = camel(e.name);
    const hasId = (m) => Object.prototype.hasOwnProperty.call(props(m), 'id');
    const requests = e.inbound.filter((m) => hasId(m) && (e.replies[m] || []).length);
    const beats = e.inbound.filter((m) => !hasId(m) && (e.replies[m] || []).length === 1);
    const errorMsg = e.outbound.find((m) => messages[m].type === 'error');
    let errorAt = null;
    if (errorMsg) {
      const p = props(errorMsg);
      errorAt = p.code ? 'root' : p.payload ? 'payload' : p.data ? 'data' : null;
      if (!errorAt) throw new Error(`channel ${e.id}: error message ${errorMsg} has no code, payload or data`);
    }
    typesOut.push(`  ${q(e.address)}: {`);
    typesOut.push(`    params: ${e.params.length ? `A.${e.name}Params` : 'null'};`);
    typesOut.push(`    inbound: M.${e.name}Inbound;`);
    typesOut.push(`    outbound: M.${e.name}Outbound;`);
    typesOut.push('    /** Outbound messages by `type`. */', '    events: {');
    for (const m of e.outbound) typesOut.push(`      ${q(messages[m].type)}: T.${messages[m].schemaName};`);
    typesOut.push('    };', '    /** Correlated requests by `type`: the request without its `id`, the reply and the error reply. */');
    typesOut.push(requests.length ? '    requests: {' : '    requests: {};');
    for (const m of requests) {
      const replies = e.replies[m];
      const ok = replies.filter((r) => messages[r].type !== 'error').map((r) => `T.${messages[r].schemaName}`);
      const bad = replies.filter((r) => messages[r].type === 'error').map((r) => `T.${messages[r].schemaName}`);
      typesOut.push(`      ${q(messages[m].type)}: { request: Omit<T.${messages[m].schemaName}, 'id'>; reply: ${ok.join(' | ') || 'never'}; error: ${bad.join(' | ') || 'never'} };`);
    }
    if (requests.length) typesOut.push('    };');
    typesOut.push('  };');

    infoOut.push(`  ${q(e.address)}: {`);
    infoOut.push(`    id: ${q(e.id)},`, `    address: ${q(e.address)},`);
    infoOut.push(`    params: [${e.params.map((p) => q(p.name)).join(', ')}],`);
    if (e.params.length) infoOut.push(`    buildPath: (params: Record<string, string>) => A.build${e.name}Path(params as never),`);
    infoOut.push(`    outbound: M.${v}Outbound,`);
    infoOut.push(requests.length ? '    requests: {' : '    requests: {},');
    for (const m of requests) infoOut.push(`      ${q(messages[m].type)}: [${e.replies[m].map((r) => q(messages[r].type)).join(', ')}],`);
    if (requests.length) infoOut.push('    },');
    infoOut.push(`    error: ${errorAt ? `{ type: 'error', at: ${q(errorAt)} }` : 'null'},`);
    infoOut.push(`    heartbeat: ${beats.length ? `{ ping: ${q(messages[beats[0]].type)}, pong: ${q(messages[e.replies[beats[0]][0]].type)} }` : 'null'},`);
    infoOut.push('  },');
  }
  typesOut.push('}', '');
  infoOut.push('} as const satisfies Record<keyof ClientEndpoints, ClientEndpointInfo>;', '');
  out.push(...typesOut, ...infoOut,
    '/** An endpoint address of the contract, e.g. `/api/v1/ws`. */',
    'export type EndpointAddress = keyof ClientEndpoints;',
    '/** The messages the server may send on endpoint E, by `type`. */',
    "export type EventsOf<E extends EndpointAddress> = ClientEndpoints[E]['events'];",
    '/** The correlated requests of endpoint E, by `type`. */',
    "export type RequestsOf<E extends EndpointAddress> = ClientEndpoints[E]['requests'];",
    '');
  return out.join('\n');
}

module.exports = { generateClient };
