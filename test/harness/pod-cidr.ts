// Each control plane on this machine gets its own block of pod addresses. Every block maps
// onto loopback through the same 198.18.0.0/15 -> 127.18.0.0/15 mapping, so two test runs
// (or a test run and the playground) at once would otherwise give pods the same addresses
// and reach each other's apps. A block is claimed with a lock file holding the owner's pid;
// a block whose owner is dead is free again.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from './binaries.js';

/** 15 blocks of 4,096 addresses in 198.18.0.0/16; the 16th holds the fake node's address. */
const BLOCKS = 15;

export interface PodCidrLease {
  /** e.g. 198.18.32.0/20 */
  cidr: string;
  /** The fake node's address, outside every block. */
  nodeIP: string;
  release(): void;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function tryClaim(lockFile: string): boolean {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const owner = Number(readFileSync(lockFile, 'utf8').trim());
  if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) return false;
  // Stale: its owner died without releasing it. Remove and race for it like anyone else.
  rmSync(lockFile, { force: true });
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    return false;
  }
}

export function claimPodCidr(): PodCidrLease {
  const dir = join(cacheDir(), 'pod-cidrs');
  mkdirSync(dir, { recursive: true });
  for (let block = 0; block < BLOCKS; block++) {
    const lockFile = join(dir, `block-${block}.lock`);
    if (!tryClaim(lockFile)) continue;
    return {
      cidr: `198.18.${block * 16}.0/20`,
      nodeIP: '198.18.255.254',
      release: () => {
        try {
          if (readFileSync(lockFile, 'utf8').trim() === String(process.pid)) rmSync(lockFile, { force: true });
        } catch {
          // already gone
        }
      },
    };
  }
  throw new Error(`all ${BLOCKS} pod address blocks are in use by live processes (see ${dir})`);
}
