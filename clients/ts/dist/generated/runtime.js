// Built by `npm run build:client` from src/client/ and generated/ (asyncapi.yaml). Do not edit by hand.
/** Turns the first AJV issue into a field pointer and a sentence that names it. */
export function describeIssue(issue) {
    const at = issue.instancePath || '';
    const name = at || '/';
    if (issue.propertyName !== undefined) {
        // A key of a map (propertyNames) is malformed: the pointer names the map, the message names the key (cut short).
        const key = issue.propertyName.length > 64 ? `${issue.propertyName.slice(0, 64)}...` : issue.propertyName;
        return { field: name, message: `${name} key ${JSON.stringify(key)} ${issue.message ?? 'is invalid'}` };
    }
    switch (issue.keyword) {
        case 'additionalProperties': {
            const field = `${at}/${String(issue.params.additionalProperty)}`;
            return { field, message: `${field} is not an allowed field` };
        }
        case 'required': {
            const field = `${at}/${String(issue.params.missingProperty)}`;
            return { field, message: `${field} is required` };
        }
        case 'enum':
            return { field: name, message: `${name} must be one of ${issue.params.allowedValues.join(', ')}` };
        case 'const':
            return { field: name, message: `${name} must be ${JSON.stringify(issue.params.allowedValue)}` };
        case 'pattern':
            return { field: name, message: `${name} is malformed (must match ${String(issue.params.pattern)})` };
        default:
            return { field: name, message: `${name} ${issue.message ?? 'is invalid'}` };
    }
}
/** The request id to echo on an error: 1-64 characters counted as the schema counts them (code points, not UTF-16 units). */
function requestId(data) {
    const id = data.id;
    if (typeof id !== 'string' || id.length === 0 || id.length > 128)
        return undefined;
    let chars = 0;
    for (const _ of id)
        chars++;
    return chars <= 64 ? id : undefined;
}
/** Checks an already-parsed value against the table: it must be an object whose `type` is in the table. */
export function decodeMessage(table, data) {
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
        return { ok: false, code: 'INVALID_MESSAGE', message: 'the message (/) must be a JSON object', field: '/' };
    }
    const record = data;
    const id = requestId(record);
    const type = record.type;
    const validate = typeof type === 'string' && Object.hasOwn(table, type) ? table[type] : undefined;
    if (!validate) {
        const known = Object.keys(table).join(', ');
        const message = typeof type === 'string' ? `unknown type ${JSON.stringify(type)}; expected one of ${known}` : `missing "type"; expected one of ${known}`;
        return { ok: false, code: 'UNKNOWN_TYPE', message, ...(id ? { id } : {}) };
    }
    if (validate(data))
        return { ok: true, message: data };
    const { field, message } = describeIssue(validate.errors[0]);
    return { ok: false, code: 'INVALID_MESSAGE', message, field, ...(id ? { id } : {}) };
}
/** Parses a text frame and decodes it. */
export function decodeFrame(table, text) {
    let data;
    try {
        data = JSON.parse(text);
    }
    catch (err) {
        return { ok: false, code: 'INVALID_JSON', message: `invalid JSON: ${err.message}` };
    }
    return decodeMessage(table, data);
}
/** For outbound checks: null when `message` is valid for the table, else what is wrong. */
export function checkMessage(table, message) {
    const decoded = decodeMessage(table, message);
    return decoded.ok ? null : `${decoded.code}: ${decoded.message}`;
}
