'use strict';
const Ajv = require('ajv');
const standaloneCode = require('ajv/dist/standalone').default;
const { HEADER, strictSchema } = require('./model.cjs');
const { rewriteRefs } = require('./gen-types.cjs');

/** Compiles every component schema (as given by `prepare`) into one standalone ESM module with no imports. */
function compileStandalone(model, prepare) {
  const ajv = new Ajv({ strict: true, allErrors: false, allowUnionTypes: true, code: { source: true, esm: true, lines: true } });
  const definitions = {};
  for (const [name, schema] of Object.entries(model.spec.components.schemas)) definitions[name] = prepare(rewriteRefs(schema));
  ajv.addSchema({ $id: 'tickwire', definitions });
  const exportsMap = {};
  for (const name of model.schemas) exportsMap[`validate${name}`] = `tickwire#/definitions/${name}`;
  let code = standaloneCode(ajv, exportsMap);
  // AJV's standalone output still require()s its runtime helper for min/maxLength. Inline it, so the file is
  // plain ESM with no imports (loads the same in Node, tsx and browsers). Any other helper fails codegen loudly.
  const inlined = { 'ajv/dist/runtime/ucs2length': require('ajv/dist/runtime/ucs2length').default.toString() };
  const helpers = [];
  code = code.replace(/require\("([^"]+)"\)\.default/g, (_, mod) => {
    if (!inlined[mod]) throw new Error(`validators need AJV runtime helper ${mod}; teach gen-validators.cjs to inline it`);
    let i = helpers.indexOf(mod);
    if (i < 0) i = helpers.push(mod) - 1;
    return `__runtime${i}`;
  });
  if (/require\(/.test(code)) throw new Error('validators still contain require(); teach gen-validators.cjs to inline it');
  const helperLines = helpers.map((m, i) => `const __runtime${i} = ${inlined[m].replace(/^function \w+/, 'function')};`).join('\n');
  return (helperLines ? helperLines + '\n' : '') + code.replace(/^"use strict";/, '') + '\n';
}

/**
 * `x-open-enum: true` marks an enum the contract may extend in a minor version (ErrorCode: new codes may appear).
 * The open validators (what clients check incoming messages with) accept any value of the type there; the strict
 * ones (the server's own output) keep the list. The mark itself is removed: AJV's strict mode refuses unknown keys.
 */
function mapSchemas(node, fn) {
  if (Array.isArray(node)) return node.map((n) => mapSchemas(n, fn));
  if (!node || typeof node !== 'object') return node;
  const out = {};
  for (const [k, v] of Object.entries(node)) out[k] = mapSchemas(v, fn);
  return fn(out);
}
function withoutOpenEnumMarks(schema) {
  return mapSchemas(schema, (s) => { if ('x-open-enum' in s) delete s['x-open-enum']; return s; });
}
function openEnums(schema) {
  return mapSchemas(schema, (s) => {
    if (s['x-open-enum'] === true) delete s.enum;
    if ('x-open-enum' in s) delete s['x-open-enum'];
    return s;
  });
}

/**
 * Precompiled AJV validators (standalone ESM code) for every component schema: nothing compiles a schema while
 * the server runs. Two modules from the same schemas:
 * - validators.js: the contract as written. Server → client schemas are open (unknown fields pass), client →
 *   server schemas strict. The server validates inbound frames and the typed client validates what it receives
 *   with these.
 * - validators-strict.js: every object schema that declares `properties` also gets `additionalProperties: false`.
 *   The server checks its own output with these in tests (messages.ts `<endpoint>OutboundStrict`), so it never
 *   sends a field the contract does not declare.
 */
function generateValidators(model) {
  const js = HEADER + '/* eslint-disable */\n' + compileStandalone(model, openEnums);
  const strictJs = HEADER + '/* eslint-disable */\n'
    + '/* Strict variants: additionalProperties: false forced on every object schema that declares properties. For checking the server\'s own output. */\n'
    + compileStandalone(model, (s) => withoutOpenEnumMarks(strictSchema(s)));

  const dts = [HEADER, "import type * as T from './types.ts';", '',
    '/** An AJV standalone validator: returns true when valid; on false, `errors` holds why. */',
    'export interface Validator<Value> {',
    '  (data: unknown): data is Value;',
    '  errors?: ValidationIssue[] | null;',
    '}',
    'export interface ValidationIssue {',
    '  instancePath: string;',
    '  schemaPath: string;',
    '  keyword: string;',
    '  params: Record<string, unknown>;',
    '  /** Set when the issue is about an object key (propertyNames). */',
    '  propertyName?: string;',
    '  message?: string;',
    '}',
    '',
    ...model.schemas.map((n) => `export declare const validate${n}: Validator<T.${n}>;`),
    ''].join('\n');
  const strictDts = [HEADER, "import type * as T from './types.ts';", "import type { Validator } from './validators.js';", '',
    '/* Strict variants of validators.js: an object that declares properties refuses any other (the server\'s own output). */',
    ...model.schemas.map((n) => `export declare const validate${n}: Validator<T.${n}>;`),
    ''].join('\n');
  return { js, dts, strictJs, strictDts };
}

module.exports = { generateValidators };
