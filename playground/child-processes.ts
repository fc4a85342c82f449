// The playground's last line of defence against stray processes. Every process it runs
// (control plane components, operator, the pods' processes) is its own child in its own
// process group (ManagedProcess), so the children are the processes whose parent is this
// one. After a clean stop there are none; if stopping failed half-way or the playground is
// exiting on an unexpected error, killChildrenNow() kills their groups synchronously, which
// an 'exit' handler can still do.
import { readdirSync, readFileSync } from 'node:fs';

/** The parent pid in /proc/PID/stat; the command name may hold spaces and parentheses, so read after the last ")". */
export function parentPid(stat: string): number | undefined {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const state = rest[0];
  // A zombie has exited already; it only waits to be reaped.
  if (state === undefined || state === 'Z') return undefined;
  const ppid = Number(rest[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

export interface ChildProcess {
  pid: number;
  commandLine: string;
}

export function livingChildren(parent = process.pid): ChildProcess[] {
  const children: ChildProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      if (parentPid(readFileSync(`/proc/${pid}/stat`, 'utf8')) !== parent) continue;
      const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
      children.push({ pid, commandLine });
    } catch {
      // Exited while we looked.
    }
  }
  return children;
}

/** SIGKILLs every living child and its process group; returns what was killed. */
export function killChildrenNow(): ChildProcess[] {
  const children = livingChildren();
  for (const child of children) {
    for (const target of [-child.pid, child.pid]) {
      try {
        process.kill(target, 'SIGKILL');
      } catch {
        // Gone already, or not a group leader.
      }
    }
  }
  return children;
}
