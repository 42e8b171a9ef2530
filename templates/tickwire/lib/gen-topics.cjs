'use strict';
const { HEADER } = require('./model.cjs');

const q = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\\/]/g, '\\$&');

/**
 * Build and parse helpers for every parameterised address (topics such as `bars:{symbol}:{resolution}` and
 * endpoint paths such as `/api/ws/stream/backtest/{backtest_id}`), enforcing each parameter's schema.
 */
function generateTopics(model) {
  const out = [HEADER,
    "import type * as T from './types.ts';",
    "import * as V from './validators.js';",
    '',
    '/** Errors are values: a bad parameter names itself. */',
    'export type AddressResult<Value> = { ok: true; value: Value } | { ok: false; param: string; message: string };',
    '',
  ];
  for (const c of [...model.topics, ...model.endpoints].filter((c) => c.params.length)) {
    const isPath = c.address.startsWith('/');
    const kind = isPath ? 'Path' : 'Topic';
    const typeOf = (p) => (p.schemaName ? `T.${p.schemaName}` : p.enum ? p.enum.map(q).join(' | ') : 'string');
    const pieces = c.address.split(/(\{[^}]+\})/).filter(Boolean);
    const source = '^' + pieces.map((p) => (p.startsWith('{') ? (isPath ? '([^/]+)' : '([^:/]+)') : escapeRe(p))).join('') + '$';
    out.push(`// ---------------------------------------------------------------- ${c.address}`, '');
    out.push(`export const ${c.id}Address = ${q(c.address)};`, '');
    out.push(`export interface ${c.name}Params {`);
    for (const p of c.params) out.push(`  ${p.name}: ${typeOf(p)};`);
    out.push('}', '');
    out.push(`function check${c.name}Params(values: Record<string, string | undefined>): AddressResult<${c.name}Params> {`);
    for (const p of c.params) {
      const v = `values[${q(p.name)}]`;
      if (p.default !== undefined) out.push(`  if (${v} === undefined) values[${q(p.name)}] = ${q(String(p.default))};`);
      const test = p.schemaName ? `V.validate${p.schemaName}(${v})` : p.enum ? `[${p.enum.map(q).join(', ')}].includes(${v} as string)` : `typeof ${v} === 'string'`;
      const allowed = p.enum ? ` (one of ${p.enum.join(', ')})` : p.schemaName ? ` (schema ${p.schemaName})` : '';
      out.push(`  if (!(${test})) return { ok: false, param: ${q(p.name)}, message: \`invalid ${p.name} \${JSON.stringify(${v})}${allowed}\` };`);
    }
    out.push(`  return { ok: true, value: values as unknown as ${c.name}Params };`, '}', '');
    const input = c.params.map((p) => `${p.name}${p.default !== undefined ? '?' : ''}: string`).join('; ');
    out.push(`/** Builds ${c.address} from its parameters, checking each against its schema${c.params.some((p) => p.default !== undefined) ? ' (missing ones take their default)' : ''}. */`);
    out.push(`export function build${c.name}${kind}(params: { ${input} }): AddressResult<string> {`);
    out.push(`  const checked = check${c.name}Params({ ...params });`);
    out.push('  if (!checked.ok) return checked;');
    const tpl = pieces.map((p) => (p.startsWith('{') ? (isPath ? `\${encodeURIComponent(checked.value.${p.slice(1, -1)})}` : `\${checked.value.${p.slice(1, -1)}}`) : p.replace(/`/g, '\\`'))).join('');
    out.push(`  return { ok: true, value: \`${tpl}\` };`, '}', '');
    out.push(`const ${c.id}Pattern = new RegExp(${q(source)});`, '');
    out.push(`/** Parses ${c.address}; returns the parameters or which one is wrong. */`);
    out.push(`export function parse${c.name}${kind}(address: string): AddressResult<${c.name}Params> {`);
    out.push(`  const match = ${c.id}Pattern.exec(address);`);
    out.push(`  if (!match) return { ok: false, param: 'address', message: \`\${JSON.stringify(address)} does not match ${c.address}\` };`);
    if (isPath) {
      out.push('  let parts: string[];');
      out.push('  try {', '    parts = match.slice(1).map(decodeURIComponent);', '  } catch {');
      out.push(`    return { ok: false, param: 'address', message: 'malformed percent-encoding' };`, '  }');
    } else {
      out.push('  const parts = match.slice(1);');
    }
    out.push(`  return check${c.name}Params({ ${c.params.map((p, i) => `${p.name}: parts[${i}]`).join(', ')} });`, '}', '');
  }
  return out.join('\n');
}

module.exports = { generateTopics };
