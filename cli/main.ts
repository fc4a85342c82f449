#!/usr/bin/env node
// kubectl-sluice: the Sluice command-line tool, standalone or as a kubectl plugin (kubectl
// runs `kubectl-sluice` from PATH for `kubectl sluice ...`, passing the arguments after
// "sluice").
import { processIo } from './io.js';
import { run } from './run.js';

// `kubectl sluice status x -w | head` closes the pipe; that ends the command, not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const code = await run(process.argv.slice(2), processIo());
// Let stdout drain (a pipe may be slow), then exit even if a watch socket lingers.
process.stdout.write('', () => process.exit(code));
