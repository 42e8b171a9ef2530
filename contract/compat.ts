/**
 * Is a new version of asyncapi.yaml safe for clients built against an older one?
 *
 * Two halves:
 * - Document structure (channels, addresses, operations, servers, parameters, the version) is compared by
 *   @asyncapi/diff on the dereferenced documents, with its AsyncAPI 3 standard (a few overrides below). It leaves
 *   payload changes unclassified, so its payload paths are dropped here.
 * - Payloads are compared by our own JSON Schema rules, per message, in the direction that message travels. A
 *   message the server sends must not send more than an old client accepts (no removed field, no field becoming
 *   optional, no wider type/enum/range); a message the client sends must still be accepted from an old client (no
 *   removed field, no new required field, no narrower type/enum/pattern/range). Anything the rules cannot prove
 *   safe (a changed pattern, a changed oneOf) is `unclassified` and counts as breaking.
 *
 * Pure functions over parsed documents: no files, no process state (the CLI in contract/diff.ts does the I/O).
 */
import { Parser } from '@asyncapi/parser';
import { diff as asyncapiDiff } from '@asyncapi/diff';
import YAML from 'yaml';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

export type ChangeKind = 'breaking' | 'compatible' | 'unclassified';
/** Who sends a message: `server` (the client receives it) or `client` (the server receives it). */
export type Sender = 'server' | 'client';

export interface ContractChange {
  kind: ChangeKind;
  /** Where: a JSON pointer into the document, or `<message> <pointer into its payload>`. */
  where: string;
  /** What changed, in words. */
  what: string;
  /** Which half found it. */
  by: 'structure' | 'payload';
}

export interface ContractReport {
  oldVersion: string;
  newVersion: string;
  changes: ContractChange[];
  /** Breaking and unclassified changes (what a major version must announce). */
  breaking: ContractChange[];
  /** True when there is nothing breaking, or the major version was raised. */
  ok: boolean;
  /** One line for humans. */
  verdict: string;
}

/** A parsed contract: the raw document (refs kept) and the dereferenced one (what @asyncapi/diff wants). */
export interface LoadedContract {
  raw: Json;
  deref: Json;
}

function stripParserKeys(node: Json): Json {
  if (Array.isArray(node)) return node.map(stripParserKeys);
  if (!node || typeof node !== 'object') return node;
  const out: Json = {};
  for (const [k, v] of Object.entries(node)) if (!k.startsWith('x-parser-')) out[k] = stripParserKeys(v);
  return out;
}

/** Parses and validates one version of the contract; throws with the parser's first errors when it is invalid. */
export async function loadContract(text: string, name = 'asyncapi.yaml'): Promise<LoadedContract> {
  const { document, diagnostics } = await new Parser().parse(text);
  const errors = diagnostics.filter((d) => d.severity === 0);
  if (!document || errors.length) {
    throw new Error(`${name} is not a valid AsyncAPI document: ${errors.slice(0, 3).map((d) => `${d.message} (at ${d.path.join('.')})`).join('; ')}`);
  }
  return { raw: YAML.parse(text), deref: stripParserKeys(document.json()) };
}

// ------------------------------------------------------------------------------------------------ structure

/**
 * Overrides of @asyncapi/diff's AsyncAPI 3 standard. Raising `info.version` is the point of a release, not a
 * break; a new reply message (e.g. a new error reply) is one more message type a client ignores; channel bindings
 * hold the WebSocket query parameters, which our payload rules compare field by field.
 */
const STRUCTURE_OVERRIDES = {
  '/info/version': { add: 'non-breaking', remove: 'breaking', edit: 'non-breaking' },
  '/operations/*/reply/messages/*': { add: 'non-breaking', remove: 'breaking', edit: 'breaking' },
} as const;

/**
 * Paths @asyncapi/diff reports that are structure (the rest is documentation or payloads, compared elsewhere).
 * Dereferenced operations repeat their channel and messages inline; those copies are compared at their own place.
 */
const STRUCTURE_PATHS = [
  /^\/asyncapi$/, /^\/defaultContentType$/, /^\/info\/version$/, /^\/servers(\/[^/]+)?(\/(host|protocol|protocolVersion|pathname))?$/,
  /^\/channels(\/[^/]+)?$/, /^\/channels\/[^/]+\/address$/, /^\/channels\/[^/]+\/messages(\/[^/]+)?$/,
  /^\/channels\/[^/]+\/parameters(\/[^/]+)?$/,
  /^\/operations(\/[^/]+)?$/, /^\/operations\/[^/]+\/action$/, /^\/operations\/[^/]+\/messages(\/\d+)?$/,
  /^\/operations\/[^/]+\/reply\/messages(\/\d+)?$/,
];

export function structureChanges(oldDoc: LoadedContract, newDoc: LoadedContract): ContractChange[] {
  const out = asyncapiDiff(oldDoc.deref, newDoc.deref, { override: STRUCTURE_OVERRIDES as never }).getOutput() as Json;
  const changes: ContractChange[] = [];
  for (const c of out.changes as Json[]) {
    if (!STRUCTURE_PATHS.some((re) => re.test(c.path))) continue;
    const kind: ChangeKind = c.type === 'breaking' ? 'breaking' : c.type === 'non-breaking' ? 'compatible' : 'unclassified';
    const what = c.path === '/info/version' ? `version ${c.before} → ${c.after}` : `${c.action === 'add' ? 'added' : c.action === 'remove' ? 'removed' : 'changed'}`;
    changes.push({ kind, where: c.path, what, by: 'structure' });
  }
  return changes;
}

// ------------------------------------------------------------------------------------------------ payloads

const refName = (ref: string): string => ref.split('/').pop()!;

/** Who sends each component message, from the operations (a receive operation's messages come from clients). */
export function messageSenders(raw: Json): Map<string, Set<Sender>> {
  const messageOf = (ref: string): string => {
    const parts = ref.replace(/^#\//, '').split('/');
    if (parts[0] === 'components') return parts[2]!;
    return refName(raw.channels[parts[1]!].messages[parts[3]!].$ref);
  };
  const senders = new Map<string, Set<Sender>>();
  const add = (m: string, s: Sender): void => { if (!senders.has(m)) senders.set(m, new Set()); senders.get(m)!.add(s); };
  for (const op of Object.values<Json>(raw.operations ?? {})) {
    for (const m of op.messages ?? []) add(messageOf(m.$ref), op.action === 'receive' ? 'client' : 'server');
    for (const m of op.reply?.messages ?? []) add(messageOf(m.$ref), 'server');
  }
  return senders;
}

type Shift = 'narrowed' | 'widened' | 'changed';

interface Walk {
  oldRaw: Json;
  newRaw: Json;
  sender: Sender;
  label: string;
  seen: Set<string>;
  out: ContractChange[];
}

function resolve(raw: Json, schema: Json): { schema: Json; ref?: string } {
  let ref: string | undefined;
  let s = schema;
  for (let i = 0; i < 32 && s && typeof s === 'object' && typeof s.$ref === 'string'; i++) {
    ref = s.$ref;
    s = ref!.startsWith('#/components/schemas/') ? raw.components?.schemas?.[refName(ref!)] : undefined;
  }
  return { schema: s, ref };
}

function record(w: Walk, at: string, shift: Shift, what: string, open = false): void {
  // A client's message may accept more; a server's message may send less. Anything else breaks someone.
  let kind: ChangeKind;
  if (shift === 'changed') kind = 'unclassified';
  else if (w.sender === 'client') kind = shift === 'widened' ? 'compatible' : 'breaking';
  else kind = shift === 'narrowed' || open ? 'compatible' : 'breaking';
  const who = w.sender === 'server' ? 'server → client' : 'client → server';
  w.out.push({ kind, where: `${w.label} ${at || '/'}`, what: `${what} (${who})`, by: 'payload' });
}

function typeSet(s: Json): Set<string> | undefined {
  if (s.type === undefined) {
    if (s.const !== undefined) return new Set([s.const === null ? 'null' : Number.isInteger(s.const) ? 'integer' : typeof s.const]);
    return undefined;
  }
  return new Set(Array.isArray(s.type) ? s.type : [s.type]);
}

/** Types in `a` that `b` does not cover (`number` covers `integer`). */
function uncovered(a: Set<string>, b: Set<string>): string[] {
  return [...a].filter((t) => !b.has(t) && !(t === 'integer' && b.has('number')));
}

const LOWER = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const EXACT = ['pattern', 'format', 'multipleOf'];
const COMBINERS = ['oneOf', 'anyOf', 'allOf', 'not', 'if', 'then', 'else', 'prefixItems', 'patternProperties', 'dependentRequired', 'dependentSchemas'];

const same = (a: Json, b: Json): boolean => JSON.stringify(a) === JSON.stringify(b);

function compareSchema(w: Walk, oldIn: Json, newIn: Json, at: string): void {
  const o = resolve(w.oldRaw, oldIn);
  const n = resolve(w.newRaw, newIn);
  const key = `${o.ref ?? ''}|${n.ref ?? ''}|${at}`;
  if (o.ref && n.ref) {
    // A pair of named schemas is compared once per place; recursion through them stops here.
    if (w.seen.has(key)) return;
    w.seen.add(key);
  }
  const os = o.schema ?? {};
  const ns = n.schema ?? {};
  if (typeof os !== 'object' || typeof ns !== 'object') {
    if (os !== ns) record(w, at, os === true ? 'narrowed' : ns === true ? 'widened' : 'changed', 'schema replaced');
    return;
  }

  const ot = typeSet(os);
  const nt = typeSet(ns);
  if (ot || nt) {
    const lost = ot ? (nt ? uncovered(ot, nt) : []) : [...(nt ?? [])].length ? ['any'] : [];
    const gained = nt ? (ot ? uncovered(nt, ot) : []) : ['any'];
    if (lost.length) record(w, at, 'narrowed', `type no longer ${lost.join('/')}`);
    if (gained.length) record(w, at, 'widened', `type may now be ${gained.join('/')}`);
  }

  const values = (s: Json): unknown[] | undefined => (s.enum ? s.enum : s.const !== undefined ? [s.const] : undefined);
  const ov = values(os);
  const nv = values(ns);
  if (ov || nv) {
    const has = (list: unknown[], v: unknown): boolean => list.some((x) => same(x, v));
    const removed = ov && nv ? ov.filter((v) => !has(nv, v)) : [];
    const added = ov && nv ? nv.filter((v) => !has(ov, v)) : [];
    if (!ov) record(w, at, 'narrowed', `now restricted to ${JSON.stringify(nv)}`);
    else if (!nv) record(w, at, 'widened', `no longer restricted to ${JSON.stringify(ov)}`);
    if (removed.length) record(w, at, 'narrowed', `value(s) ${JSON.stringify(removed)} removed`);
    // An enum marked x-open-enum tells clients to expect values it does not list (e.g. new error codes).
    if (added.length) record(w, at, 'widened', `value(s) ${JSON.stringify(added)} added`, ns['x-open-enum'] === true);
  }

  for (const [list, tighter] of [[LOWER, (a: number, b: number) => b > a], [UPPER, (a: number, b: number) => b < a]] as const) {
    for (const k of list) {
      const a = os[k];
      const b = ns[k];
      if (a === b) continue;
      if (a === undefined) record(w, at, 'narrowed', `${k} ${b} added`);
      else if (b === undefined) record(w, at, 'widened', `${k} ${a} removed`);
      else record(w, at, tighter(a, b) ? 'narrowed' : 'widened', `${k} ${a} → ${b}`);
    }
  }
  for (const k of EXACT) {
    if (same(os[k], ns[k])) continue;
    if (os[k] === undefined) record(w, at, 'narrowed', `${k} ${JSON.stringify(ns[k])} added`);
    else if (ns[k] === undefined) record(w, at, 'widened', `${k} ${JSON.stringify(os[k])} removed`);
    else record(w, at, 'changed', `${k} ${JSON.stringify(os[k])} → ${JSON.stringify(ns[k])}: cannot tell whether it accepts more or less`);
  }
  if (!!os.uniqueItems !== !!ns.uniqueItems) record(w, at, ns.uniqueItems ? 'narrowed' : 'widened', `uniqueItems ${!!os.uniqueItems} → ${!!ns.uniqueItems}`);
  for (const k of COMBINERS) {
    if (!same(os[k], ns[k])) record(w, at, 'changed', `${k} changed: review by hand`);
  }

  // Objects: fields.
  const op: Json = os.properties ?? {};
  const np: Json = ns.properties ?? {};
  const oreq = new Set<string>(os.required ?? []);
  const nreq = new Set<string>(ns.required ?? []);
  for (const f of Object.keys(op)) {
    if (!(f in np)) {
      // Removing a field breaks both ways: clients reading it lose it; clients sending it are refused (strict).
      w.out.push({ kind: 'breaking', where: `${w.label} ${at}/${f}`, what: `field removed (${w.sender === 'server' ? 'server → client' : 'client → server'})`, by: 'payload' });
      continue;
    }
    compareSchema(w, op[f], np[f], `${at}/${f}`);
    if (oreq.has(f) && !nreq.has(f)) record(w, `${at}/${f}`, 'widened', 'no longer required');
    if (!oreq.has(f) && nreq.has(f)) record(w, `${at}/${f}`, 'narrowed', 'now required');
  }
  for (const f of Object.keys(np)) {
    if (f in op) continue;
    if (nreq.has(f)) record(w, `${at}/${f}`, 'narrowed', 'new required field');
    else w.out.push({ kind: 'compatible', where: `${w.label} ${at}/${f}`, what: `new optional field (${w.sender === 'server' ? 'server → client' : 'client → server'})`, by: 'payload' });
  }
  for (const f of nreq) if (!(f in np) && !oreq.has(f)) record(w, `${at}/${f}`, 'narrowed', 'now required');

  // Open or closed objects, maps, arrays.
  const oa = os.additionalProperties;
  const na = ns.additionalProperties;
  if (oa !== undefined || na !== undefined) {
    if (oa && na && typeof oa === 'object' && typeof na === 'object') compareSchema(w, oa, na, `${at}/*`);
    else if (!same(oa, na)) {
      const closed = (v: Json): boolean => v === false;
      if (closed(na) && !closed(oa)) record(w, at, 'narrowed', 'no longer accepts other fields');
      else if (closed(oa) && !closed(na)) record(w, at, 'widened', 'now accepts other fields', true);
      else record(w, at, oa === undefined || oa === true ? 'narrowed' : na === undefined || na === true ? 'widened' : 'changed', 'additionalProperties changed');
    }
  }
  if (os.propertyNames || ns.propertyNames) compareSchema(w, os.propertyNames ?? {}, ns.propertyNames ?? {}, `${at}/(key)`);
  if (os.items || ns.items) {
    if (os.items && ns.items) compareSchema(w, os.items, ns.items, `${at}/[]`);
    else record(w, `${at}/[]`, os.items ? 'widened' : 'narrowed', os.items ? 'items no longer constrained' : 'items now constrained');
  }
}

/** Payload (and query-parameter) changes of every message present in both versions, by its sender's rules. */
export function payloadChanges(oldDoc: LoadedContract, newDoc: LoadedContract): ContractChange[] {
  const oldRaw = oldDoc.raw;
  const newRaw = newDoc.raw;
  const out: ContractChange[] = [];
  const senders = messageSenders(oldRaw);
  for (const [id, msg] of Object.entries<Json>(oldRaw.components?.messages ?? {})) {
    const next = newRaw.components?.messages?.[id];
    if (!next) continue; // its removal from a channel or operation is reported by the structure half
    for (const sender of senders.get(id) ?? new Set<Sender>(['server', 'client'])) {
      compareSchema({ oldRaw, newRaw, sender, label: `message ${id}`, seen: new Set(), out }, msg.payload, next.payload, '');
    }
  }
  // WebSocket query parameters are sent by clients: the same rules as a client message.
  for (const [id, ch] of Object.entries<Json>(oldRaw.channels ?? {})) {
    const a = ch.bindings?.ws?.query;
    const b = newRaw.channels?.[id]?.bindings?.ws?.query;
    if (!a || !newRaw.channels?.[id]) continue;
    compareSchema({ oldRaw, newRaw, sender: 'client', label: `channel ${id} query`, seen: new Set(), out }, a, b ?? { type: 'object', properties: {} }, '');
  }
  return out;
}

// ------------------------------------------------------------------------------------------------ verdict

export function parseVersion(v: string): [number, number, number] {
  const m = /^(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$/.exec(String(v));
  if (!m) throw new Error(`info.version ${JSON.stringify(v)} is not a semantic version (MAJOR.MINOR.PATCH)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

export function compareVersions(a: string, b: string): number {
  const x = parseVersion(a);
  const y = parseVersion(b);
  for (let i = 0; i < 3; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return 0;
}

/** Compares two versions of the contract (YAML or JSON text) and says whether the new one may ship as versioned. */
export async function compareContracts(oldText: string | LoadedContract, newText: string | LoadedContract): Promise<ContractReport> {
  const load = (t: string | LoadedContract, name: string): Promise<LoadedContract> => (typeof t === 'string' ? loadContract(t, name) : Promise.resolve(t));
  const [a, b] = await Promise.all([load(oldText, 'the released contract'), load(newText, 'the new contract')]);
  const changes = [...structureChanges(a, b), ...payloadChanges(a, b)];
  const breaking = changes.filter((c) => c.kind !== 'compatible');
  const oldVersion = String(a.raw.info.version);
  const newVersion = String(b.raw.info.version);
  const order = compareVersions(newVersion, oldVersion);
  const majorRaised = parseVersion(newVersion)[0] > parseVersion(oldVersion)[0];
  let ok: boolean;
  let verdict: string;
  if (order < 0) {
    ok = false;
    verdict = `info.version went backwards: ${oldVersion} → ${newVersion}`;
  } else if (!breaking.length) {
    ok = true;
    verdict = `compatible with ${oldVersion} (${changes.length} change(s), none breaking)`;
  } else if (majorRaised) {
    ok = true;
    verdict = `${breaking.length} breaking change(s), announced by the major version ${oldVersion} → ${newVersion}`;
  } else {
    ok = false;
    verdict = `${breaking.length} breaking change(s) against ${oldVersion}: raise the major version (info.version) or make the change compatible`;
  }
  return { oldVersion, newVersion, changes, breaking, ok, verdict };
}

// ------------------------------------------------------------------------------------------------ HTTP API

/**
 * openapi.yaml changes, with the same payload rules: request bodies and query/path parameters are sent by clients
 * (a new required field, a narrower range... break them), responses by the server (a removed field, a wider enum...
 * break them); a removed route or method breaks clients. Both documents are bundled (self-contained) first.
 */
export function openapiChanges(oldDoc: Json, newDoc: Json): ContractChange[] {
  const out: ContractChange[] = [];
  const walk = (sender: Sender, label: string): Walk => ({ oldRaw: oldDoc, newRaw: newDoc, sender, label, seen: new Set(), out });
  const resolveIn = (doc: Json, x: Json): Json => {
    for (let i = 0; x?.$ref && i < 8 && !String(x.$ref).startsWith('#/components/schemas/'); i++) {
      const [kind, name] = String(x.$ref).replace('#/components/', '').split('/');
      x = doc.components?.[kind!]?.[name!];
    }
    return x;
  };
  const paramsObject = (doc: Json, op: Json, item: Json): Json => {
    const props: Json = {};
    const required: string[] = [];
    for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])].map((x: Json) => resolveIn(doc, x))) {
      props[`${p.in}:${p.name}`] = p.schema ?? {};
      if (p.required) required.push(`${p.in}:${p.name}`);
    }
    return { type: 'object', properties: props, required };
  };
  for (const [route, item] of Object.entries<Json>(oldDoc.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(item)) {
      if (method === 'parameters') continue;
      const where = `${method.toUpperCase()} ${route}`;
      const next = newDoc.paths?.[route]?.[method];
      if (!next) {
        out.push({ kind: 'breaking', where, what: 'route removed', by: 'payload' });
        continue;
      }
      compareSchema(walk('client', `${where} parameters`), paramsObject(oldDoc, op, item), paramsObject(newDoc, next, newDoc.paths[route]), '');
      const body = (doc: Json, o: Json): Json => resolveIn(doc, o.requestBody)?.content?.['application/json']?.schema;
      const ob = body(oldDoc, op);
      const nb = body(newDoc, next);
      if (ob && nb) compareSchema(walk('client', `${where} body`), ob, nb, '');
      else if (!ob && nb && resolveIn(newDoc, next.requestBody)?.required) out.push({ kind: 'breaking', where: `${where} body`, what: 'a body is now required', by: 'payload' });
      for (const [status, r] of Object.entries<Json>(op.responses ?? {})) {
        const os = resolveIn(oldDoc, r)?.content?.['application/json']?.schema;
        const nr = next.responses?.[status];
        const ns = nr ? resolveIn(newDoc, nr)?.content?.['application/json']?.schema : undefined;
        if (os && ns) compareSchema(walk('server', `${where} ${status}`), os, ns, '');
      }
    }
  }
  for (const [route, item] of Object.entries<Json>(newDoc.paths ?? {})) {
    for (const method of Object.keys(item)) {
      if (method !== 'parameters' && !oldDoc.paths?.[route]?.[method]) out.push({ kind: 'compatible', where: `${method.toUpperCase()} ${route}`, what: 'new route', by: 'payload' });
    }
  }
  return out;
}
