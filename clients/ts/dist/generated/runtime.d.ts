// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
import type { Validator, ValidationIssue } from './validators.js';
export type ValidatorTable = Readonly<Record<string, Validator<unknown>>>;
/** Why an inbound frame was refused. `field` is a JSON pointer for INVALID_MESSAGE; `id` is the request id if readable. */
export interface DecodeError {
    ok: false;
    code: 'INVALID_JSON' | 'UNKNOWN_TYPE' | 'INVALID_MESSAGE';
    message: string;
    field?: string;
    id?: string;
}
export type Decoded<M> = {
    ok: true;
    message: M;
} | DecodeError;
/** Turns the first AJV issue into a field pointer and a sentence that names it. */
export declare function describeIssue(issue: ValidationIssue): {
    field: string;
    message: string;
};
/** Checks an already-parsed value against the table: it must be an object whose `type` is in the table. */
export declare function decodeMessage<M>(table: ValidatorTable, data: unknown): Decoded<M>;
/** Parses a text frame and decodes it. */
export declare function decodeFrame<M>(table: ValidatorTable, text: string): Decoded<M>;
/** For outbound checks: null when `message` is valid for the table, else what is wrong. */
export declare function checkMessage(table: ValidatorTable, message: unknown): string | null;
