'use strict';
const { HEADER } = require('./model.cjs');

const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const camel = (id) => id.charAt(0).toLowerCase() + id.slice(1);
const union = (names) => (names.length ? names.map((n) => `T.${n}`).join(' | ') : 'never');

/**
 * Per endpoint: inbound/outbound message unions, validator tables keyed by `type`, a typed handler interface
 * (one method per inbound `type`, returning the operation's reply) and a dispatch function. A hand-written
 * handler object that misses a method or has the wrong shape fails `tsc`.
 */
function generateMessages(model) {
  const { messages } = model;
  const out = [HEADER,
    "import type * as T from './types.ts';",
    "import * as V from './validators.js';",
    "import * as S from './validators-strict.js';",
    "import type { ValidatorTable } from './runtime.ts';",
    '',
    '/** A handler may answer synchronously or with a promise. */',
    'export type Reply<R> = R | Promise<R>;',
    '',
    '/** Every message `type` of the contract, by component message name. */',
    'export const MessageTypes = {',
    ...Object.values(messages).map((m) => `  ${m.id}: ${q(m.type)},`),
    '} as const;',
    '',
  ];
  for (const e of model.endpoints) {
    const v = camel(e.name);
    const inSchemas = e.inbound.map((m) => messages[m].schemaName);
    const outSchemas = e.outbound.map((m) => messages[m].schemaName);
    out.push(`// ---------------------------------------------------------------- ${e.address} (${e.title})`, '');
    out.push(`/** Messages a client may send on ${e.address}. */`);
    out.push(`export type ${e.name}Inbound = ${union(inSchemas)};`);
    out.push(`/** Messages the server sends on ${e.address}. */`);
    out.push(`export type ${e.name}Outbound = ${union(outSchemas)};`, '');
    out.push(`/** Validators of inbound messages, keyed by \`type\`. */`);
    out.push(`export const ${v}Inbound: ValidatorTable = {`);
    for (const m of e.inbound) out.push(`  ${q(messages[m].type)}: V.validate${messages[m].schemaName},`);
    out.push('};', '');
    out.push(`/** Validators of outbound messages as the contract writes them (open: unknown fields pass), keyed by \`type\`. Clients use these. */`);
    out.push(`export const ${v}Outbound: ValidatorTable = {`);
    for (const m of e.outbound) out.push(`  ${q(messages[m].type)}: V.validate${messages[m].schemaName},`);
    out.push('};', '');
    out.push(`/** Strict validators of outbound messages (no undeclared field at any depth), keyed by \`type\`: for checking the server's own output. */`);
    out.push(`export const ${v}OutboundStrict: ValidatorTable = {`);
    for (const m of e.outbound) out.push(`  ${q(messages[m].type)}: S.validate${messages[m].schemaName},`);
    out.push('};', '');
    out.push(`/** Handlers for every inbound message of ${e.address}; each returns the operation's reply. */`);
    out.push(`export interface ${e.name}Handlers<Ctx> {`);
    for (const m of e.inbound) {
      const msg = messages[m];
      const replies = e.replies[m] || [];
      const ret = replies.length ? union(replies.map((r) => messages[r].schemaName)) : 'void';
      if (msg.summary) out.push(`  /** ${msg.summary} */`);
      out.push(`  ${q(msg.type)}(message: T.${msg.schemaName}, ctx: Ctx): Reply<${ret}>;`);
    }
    out.push('}', '');
    const allReplies = [...new Set(e.inbound.flatMap((m) => (e.replies[m] || []).map((r) => messages[r].schemaName)))];
    const ret = allReplies.length ? `${union(allReplies)} | void` : 'void';
    out.push(`/** Routes a validated inbound message to its handler. */`);
    out.push(`export function dispatch${e.name}<Ctx>(handlers: ${e.name}Handlers<Ctx>, message: ${e.name}Inbound, ctx: Ctx): Reply<${ret}> {`);
    if (e.inbound.length) {
      out.push('  switch (message.type) {');
      for (const m of e.inbound) out.push(`    case ${q(messages[m].type)}:`, `      return handlers[${q(messages[m].type)}](message, ctx);`);
      out.push('  }');
    }
    out.push('}', '');
    out.push(`export const ${v}Endpoint = {`);
    out.push(`  id: ${q(e.id)},`, `  address: ${q(e.address)},`, `  inbound: ${v}Inbound,`, `  outbound: ${v}Outbound,`, `  outboundStrict: ${v}OutboundStrict,`);
    out.push('} as const;', '');
  }
  out.push('/** Every WebSocket endpoint of the contract. */');
  out.push(`export const endpoints = [${model.endpoints.map((e) => `${camel(e.name)}Endpoint`).join(', ')}] as const;`, '');
  return out.join('\n');
}

module.exports = { generateMessages };
