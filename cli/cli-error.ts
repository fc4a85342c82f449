// An error the CLI explains to its user: a message without a stack trace and the exit code
// that tells a script what kind of failure it was.
import type { ExitCode } from './exit-codes.js';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
