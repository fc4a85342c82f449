import { parseOptions, UsageError, type PlaygroundOptions } from '../../../playground/options.js';

const defaults: PlaygroundOptions = { exitAfter: false, plain: false, keepLogs: false, help: false };

describe('parseOptions', () => {
  it.each<[string[], Partial<PlaygroundOptions>]>([
    [[], {}],
    [['--exit-after'], { exitAfter: true }],
    [['--no-wait'], { exitAfter: true }],
    [['--plain', '--keep-logs'], { plain: true, keepLogs: true }],
    [['-h'], { help: true }],
    [['--help'], { help: true }],
  ])('%j', (argv, expected) => {
    expect(parseOptions(argv)).toEqual({ ...defaults, ...expected });
  });

  it('refuses what it does not know, naming it and showing the usage', () => {
    expect(() => parseOptions(['--exit'])).toThrow(UsageError);
    expect(() => parseOptions(['--exit'])).toThrow(/unknown argument "--exit"[\s\S]*--exit-after, --no-wait/);
  });
});
