// Plain JSON data as a Lua 5.1 table constructor, so that fixtures written in YAML reach a
// Lua script as the same table Argo CD would build from the object. Pure.

/** Lua long strings cannot hold their own closing bracket; escaped strings can hold anything. */
function luaString(text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (code < 0x20 || code === 0x7f) out += `\\${code}`;
    // Lua 5.1 strings are bytes: non-ASCII characters go in as their UTF-8 bytes.
    else if (code > 0x7e) out += [...Buffer.from(ch, 'utf8')].map((b) => `\\${b}`).join('');
    else out += ch;
  }
  return `${out}"`;
}

export function luaLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`cannot write ${value} in Lua`);
    return String(value);
  }
  if (typeof value === 'string') return luaString(value);
  if (Array.isArray(value)) return `{${value.map(luaLiteral).join(', ')}}`;
  if (typeof value === 'object') {
    const fields = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${luaLiteral(v)}`);
    return `{${fields.join(', ')}}`;
  }
  throw new TypeError(`cannot write a ${typeof value} in Lua`);
}
