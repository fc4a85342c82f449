// Runs Argo CD Lua scripts through sandbox.lua with the real lua5.1: one interpreter process
// for a whole batch of cases, results back as JSON.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { luaLiteral } from './lua-literal.js';

export const LUA = process.env.SLUICE_LUA ?? '/usr/bin/lua5.1';
const SANDBOX = join(fileURLToPath(new URL('.', import.meta.url)), 'sandbox.lua');

export interface LuaCase {
  id: string;
  /** The script's source text. */
  script: string;
  obj: unknown;
}

export type LuaOutcome = { ok: true; value: unknown } | { ok: false; error: string };

export async function runLua(cases: readonly LuaCase[]): Promise<Map<string, LuaOutcome>> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-lua-'));
  try {
    const entries = cases.map((c, i) => {
      const scriptPath = join(dir, `script-${i}.lua`);
      writeFileSync(scriptPath, c.script);
      return `{id = ${luaLiteral(c.id)}, script = ${luaLiteral(scriptPath)}, obj = ${luaLiteral(c.obj)}}`;
    });
    const casesPath = join(dir, 'cases.lua');
    writeFileSync(casesPath, `return {\n${entries.join(',\n')}\n}\n`);
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(LUA, [SANDBOX, casesPath], { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, errOut) => {
        if (err) reject(new Error(`${LUA} failed: ${err.message}\n${errOut}`));
        else resolve(out);
      });
    });
    const outcomes = new Map<string, LuaOutcome>();
    for (const line of stdout.split('\n')) {
      if (line === '') continue;
      const [id = '', first = '', ...rest] = line.split('\t');
      outcomes.set(id, first === 'ERROR' ? { ok: false, error: rest.join('\t') } : { ok: true, value: JSON.parse(first) as unknown });
    }
    return outcomes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
