#!/usr/bin/env node
// kubectl-sluice: the Sluice command-line tool, standalone or as a kubectl plugin (kubectl
// runs `kubectl-sluice` from PATH for `kubectl sluice ...`, passing the arguments after
// "sluice").
import { processIo } from './io.js';
import { run } from './run.js';

const code = await run(process.argv.slice(2), processIo());
// Let stdout drain (a pipe may be slow), then exit even if a watch socket lingers.
process.stdout.write('', () => process.exit(code));
