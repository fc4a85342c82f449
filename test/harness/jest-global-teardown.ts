// Stops the shared control plane, keeps its component logs, and fails the run if any process
// started during it is still alive.
import { setTimeout as sleep } from 'node:timers/promises';
import { processesMarkedWith } from './leak-check.js';

export default async function globalTeardown(): Promise<void> {
  const plane = globalThis.sluiceControlPlane;
  if (plane) {
    const crashed = plane.crashed();
    const started = Date.now();
    const logs = await plane.stop({ keepLogs: true });
    globalThis.sluiceControlPlane = undefined;
    process.stdout.write(`[harness] control plane stopped in ${Date.now() - started} ms; component logs kept in ${logs}\n`);
    if (crashed.length > 0) throw new Error(`control plane components died during the run:\n${crashed.join('\n')}`);
  }
  const marker = process.env.SLUICE_TEST_RUN;
  if (!marker) return;
  const isJest = (commandLine: string): boolean => /jest/.test(commandLine);
  // Give processes that were just signalled a moment to exit before calling them leaked.
  let leftovers = processesMarkedWith(marker, isJest);
  for (let i = 0; i < 20 && leftovers.length > 0; i++) {
    await sleep(250);
    leftovers = processesMarkedWith(marker, isJest);
  }
  if (leftovers.length > 0) {
    for (const p of leftovers) {
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    throw new Error(
      `the test run left ${leftovers.length} process(es) running (now killed):\n` +
        leftovers.map((p) => `  ${p.pid} ${p.commandLine}`).join('\n'),
    );
  }
}
