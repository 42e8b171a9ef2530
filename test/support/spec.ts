/** Test helpers over the contract: the raw spec and its examples, read straight from asyncapi.yaml. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RawSpec = any;

export function loadSpec(): RawSpec {
  return YAML.parse(readFileSync(path.join(repoRoot, 'asyncapi.yaml'), 'utf8'));
}

export interface SpecExample {
  message: string;
  schema: string;
  name: string;
  payload: unknown;
}

export function specExamples(spec: RawSpec = loadSpec()): SpecExample[] {
  const out: SpecExample[] = [];
  for (const [id, msg] of Object.entries<RawSpec>(spec.components.messages)) {
    const schema = String(msg.payload.$ref).split('/').pop()!;
    for (const ex of msg.examples ?? []) out.push({ message: id, schema, name: ex.name, payload: ex.payload });
  }
  return out;
}
