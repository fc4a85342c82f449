// Finds processes a test run left behind. Every process the harness or a test starts inherits
// SLUICE_TEST_RUN from the Jest parent, so a scan of /proc for that marker finds them all,
// grandchildren included, without keeping a registry that a crashed test could forget.
import { readdirSync, readFileSync } from 'node:fs';

export interface LeftoverProcess {
  pid: number;
  commandLine: string;
}

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function processesMarkedWith(marker: string, ignore: (commandLine: string, pid: number) => boolean): LeftoverProcess[] {
  const needle = `SLUICE_TEST_RUN=${marker}\0`;
  const found: LeftoverProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const environ = read(`/proc/${pid}/environ`);
    if (!environ?.includes(needle)) continue;
    const stat = read(`/proc/${pid}/stat`);
    // Zombies are already dead; they only wait for their parent to reap them.
    if (stat && /\) Z /.test(stat)) continue;
    const commandLine = (read(`/proc/${pid}/cmdline`) ?? '').split('\0').join(' ').trim();
    if (ignore(commandLine, pid)) continue;
    found.push({ pid, commandLine });
  }
  return found;
}
