import { CronTime } from 'cron';
import { parseDuration, type DeploymentWindow } from '../../../../crds/index.js';
import { windowState, type WindowState } from '../../../../operator/canary/deployment-window.js';

const at = (iso: string): Date => new Date(iso);
const w = (schedule: string, duration: string, timeZone = 'UTC'): DeploymentWindow => ({ schedule, duration, timeZone });

// 2026-11-20 is a Friday, 2026-11-23 a Monday.
const officeHours = w('0 9 * * 1-5', '8h');

describe('windowState', () => {
  it('is always open without windows', () => {
    for (const windows of [undefined, []]) {
      const state = windowState(windows, at('2026-11-21T03:00:00Z'));
      expect(state).toEqual({ open: true, message: 'no deployment windows: rollouts may advance at any time' });
    }
  });

  it('is open from a tick for the duration, and closed outside', () => {
    expect(windowState([officeHours], at('2026-11-20T10:00:00Z'))).toEqual({
      open: true,
      closesAt: '2026-11-20T17:00:00.000Z',
      message: 'inside the deployment window "0 9 * * 1-5" (UTC, 8h) until 2026-11-20T17:00:00.000Z',
    });
    // The tick itself opens the window; the end of the duration closes it.
    expect(windowState([officeHours], at('2026-11-20T09:00:00Z')).open).toBe(true);
    expect(windowState([officeHours], at('2026-11-20T08:59:59.999Z'))).toMatchObject({ open: false, nextOpenAt: '2026-11-20T09:00:00.000Z' });
    expect(windowState([officeHours], at('2026-11-20T16:59:59.999Z')).open).toBe(true);
    expect(windowState([officeHours], at('2026-11-20T17:00:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-11-23T09:00:00.000Z' });
  });

  it('says when the next window opens, in the words the state machine repeats', () => {
    const state = windowState([officeHours], at('2026-11-21T12:00:00Z'));
    expect(state.open).toBe(false);
    expect(state.nextOpenAt).toBe('2026-11-23T09:00:00.000Z');
    expect(state.closesAt).toBeUndefined();
    expect(state.message).toBe('outside the deployment windows; the next window opens at 2026-11-23T09:00:00.000Z ("0 9 * * 1-5" (UTC, 8h))');
  });

  it('treats several windows as a union: open if any is, next opening is the earliest', () => {
    const morning = w('0 6 * * *', '2h');
    const evening = w('0 20 * * *', '1h');
    expect(windowState([evening, morning], at('2026-11-21T07:00:00Z'))).toMatchObject({ open: true, closesAt: '2026-11-21T08:00:00.000Z' });
    expect(windowState([evening, morning], at('2026-11-21T20:30:00Z'))).toMatchObject({ open: true, closesAt: '2026-11-21T21:00:00.000Z' });
    expect(windowState([morning, evening], at('2026-11-21T12:00:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-11-21T20:00:00.000Z' });
    expect(windowState([morning, evening], at('2026-11-21T22:00:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-11-22T06:00:00.000Z' });
  });

  it('closes where overlapping and adjoining windows stop covering time', () => {
    // 09:00-13:00 and 12:00-16:00 close at 16:00, not 13:00.
    const state = windowState([w('0 9 * * *', '4h'), w('0 12 * * *', '4h')], at('2026-11-21T10:00:00Z'));
    expect(state).toEqual({ open: true, closesAt: '2026-11-21T16:00:00.000Z', message: 'inside the deployment windows until 2026-11-21T16:00:00.000Z' });
  });

  it('counts every tick of a window that ticks again while open', () => {
    // Ticks at 10:00, 10:15, 10:30, each open 40 minutes: open until 11:10 whenever asked.
    const frequent = w('0,15,30 10 * * *', '40m');
    expect(windowState([frequent], at('2026-11-21T10:05:00Z')).closesAt).toBe('2026-11-21T11:10:00.000Z');
    expect(windowState([frequent], at('2026-11-21T10:50:00Z')).closesAt).toBe('2026-11-21T11:10:00.000Z');
    expect(windowState([frequent], at('2026-11-21T11:10:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-11-22T10:00:00.000Z' });
  });

  it('reports windows that never close as open without a closing time', () => {
    const state = windowState([w('0 * * * *', '2h')], at('2026-11-21T10:30:00Z'));
    expect(state.open).toBe(true);
    expect(state.closesAt).toBeUndefined();
    expect(state.message).toMatch(/^inside the deployment window "0 \* \* \* \*" \(UTC, 2h\); they overlap without a gap at least until 2026-11-2\dT/);
  });

  it('understands @weekdays, chaining Monday to Friday into one window', () => {
    const weekdays = w('@weekdays', '24h', 'Europe/Berlin');
    // Saturday: closed until Monday 00:00 in Berlin (CET, UTC+1).
    expect(windowState([weekdays], at('2026-11-21T12:00:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-11-22T23:00:00.000Z' });
    // Wednesday: one window from Monday 00:00 to Saturday 00:00, Berlin time.
    expect(windowState([weekdays], at('2026-11-25T12:00:00Z'))).toMatchObject({ open: true, closesAt: '2026-11-27T23:00:00.000Z' });
  });

  it('understands six fields, seconds first', () => {
    const window = w('30 0 9 * * *', '1m');
    expect(windowState([window], at('2026-11-21T09:00:29.999Z'))).toMatchObject({ open: false, nextOpenAt: '2026-11-21T09:00:30.000Z' });
    expect(windowState([window], at('2026-11-21T09:00:30Z'))).toMatchObject({ open: true, closesAt: '2026-11-21T09:01:30.000Z' });
    expect(windowState([window], at('2026-11-21T09:01:30Z')).open).toBe(false);
  });

  describe('daylight saving time in Europe/Berlin', () => {
    it('keeps local opening times on both sides of the March switch', () => {
      const nine = w('0 9 * * *', '1h', 'Europe/Berlin');
      // Friday 27 March, CET (UTC+1): 09:00 local is 08:00Z.
      expect(windowState([nine], at('2026-03-27T08:30:00Z'))).toMatchObject({ open: true, closesAt: '2026-03-27T09:00:00.000Z' });
      // Saturday noon: the next opening is Sunday 09:00 CEST (UTC+2), the day of the switch.
      expect(windowState([nine], at('2026-03-28T12:00:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-03-29T07:00:00.000Z' });
      // Monday 30 March, CEST: 09:30 local is 07:30Z; 10:30 local is closed.
      expect(windowState([nine], at('2026-03-30T07:30:00Z'))).toMatchObject({ open: true, closesAt: '2026-03-30T08:00:00.000Z' });
      expect(windowState([nine], at('2026-03-30T08:30:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-03-31T07:00:00.000Z' });
    });

    it('opens a window scheduled in the skipped hour at the first minute after it', () => {
      // 02:30 does not exist on 29 March 2026: the clocks jump from 02:00 CET to 03:00 CEST.
      const night = w('30 2 * * *', '1h', 'Europe/Berlin');
      expect(windowState([night], at('2026-03-29T00:59:59Z'))).toMatchObject({ open: false, nextOpenAt: '2026-03-29T01:00:00.000Z' });
      expect(windowState([night], at('2026-03-29T01:30:00Z'))).toMatchObject({ open: true, closesAt: '2026-03-29T02:00:00.000Z' });
    });

    it('measures the duration in elapsed time across the switch', () => {
      // Midnight CET (23:00Z) plus six hours is 05:00Z, which is 07:00 CEST on the clock.
      const midnight = w('0 0 * * *', '6h', 'Europe/Berlin');
      expect(windowState([midnight], at('2026-03-29T04:59:59Z'))).toMatchObject({ open: true, closesAt: '2026-03-29T05:00:00.000Z' });
      expect(windowState([midnight], at('2026-03-29T05:00:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-03-29T22:00:00.000Z' });
    });

    it('opens a daily window once in the hour repeated in October', () => {
      // On 25 October 2026 02:00-03:00 happens twice: CEST (00:00-01:00Z), then CET (01:00-02:00Z).
      const night = w('30 2 * * *', '1h', 'Europe/Berlin');
      expect(windowState([night], at('2026-10-25T01:15:00Z'))).toMatchObject({ open: true, closesAt: '2026-10-25T01:30:00.000Z' });
      // 02:45 CET, after the second 02:30: no second window that day.
      expect(windowState([night], at('2026-10-25T01:45:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-10-26T01:30:00.000Z' });
    });

    it('opens an hourly window in both copies of the repeated hour', () => {
      const hourly = w('0 * * * *', '30m', 'Europe/Berlin');
      expect(windowState([hourly], at('2026-10-25T00:10:00Z'))).toMatchObject({ open: true, closesAt: '2026-10-25T00:30:00.000Z' });
      expect(windowState([hourly], at('2026-10-25T00:45:00Z'))).toMatchObject({ open: false, nextOpenAt: '2026-10-25T01:00:00.000Z' });
      expect(windowState([hourly], at('2026-10-25T01:10:00Z'))).toMatchObject({ open: true, closesAt: '2026-10-25T01:30:00.000Z' });
    });
  });

  describe('invalid windows', () => {
    it('holds the rollout and names the schedule that is out of range', () => {
      const state = windowState([officeHours, w('61 * * * *', '1h')], at('2026-11-20T10:00:00Z'));
      expect(state.open).toBe(false);
      expect(state.nextOpenAt).toBeUndefined();
      expect(state.problems).toEqual([{ field: 'spec.analysis.windows[1].schedule', message: expect.stringContaining('invalid cron schedule') }]);
      expect(state.message).toMatch(/^invalid deployment window \(spec\.analysis\.windows\[1\]\.schedule: invalid cron schedule: .*61.*\): the rollout holds until it is fixed$/);
    });

    it('names an unknown time zone', () => {
      const state = windowState([w('0 9 * * *', '1h', 'Mars/Olympus_Mons')], at('2026-11-20T10:00:00Z'));
      expect(state.open).toBe(false);
      expect(state.problems).toEqual([{ field: 'spec.analysis.windows[0].timeZone', message: expect.stringContaining('unknown time zone Mars/Olympus_Mons') }]);
    });

    it('names a schedule that never fires', () => {
      const state = windowState([w('0 0 30 2 *', '1h')], at('2026-11-20T10:00:00Z'));
      expect(state.open).toBe(false);
      expect(state.problems).toEqual([{ field: 'spec.analysis.windows[0].schedule', message: 'the schedule never fires' }]);
    });
  });

  describe('agrees with a brute-force reading of the ticks', () => {
    const sets: DeploymentWindow[][] = [
      [w('0 9 * * 1-5', '8h', 'Europe/Berlin')],
      [w('30 2 * * *', '1h', 'Europe/Berlin')],
      [w('0 * * * *', '30m', 'Europe/Berlin')],
      [w('0 6 * * *', '2h'), w('0 7 * * *', '2h', 'Europe/Berlin'), w('45 1 * * 0', '90m', 'Europe/Berlin')],
    ];
    // Instants around both 2026 DST switches in Berlin, from a fixed pseudo-random sequence.
    let seed = 42;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const instants = [Date.parse('2026-03-27T00:00:00Z'), Date.parse('2026-10-23T00:00:00Z')].flatMap((start) =>
      Array.from({ length: 30 }, () => start + Math.floor(random() * 4 * 86_400_000)),
    );

    /** Open iff some tick t has t <= now < t + duration, enumerating every tick from an hour before now - duration. */
    function bruteForceOpen(windows: DeploymentWindow[], nowMs: number): boolean {
      return windows.some((window) => {
        const cron = new CronTime(window.schedule, window.timeZone);
        const durationMs = parseDuration(window.duration);
        let tick = cron.getNextDateFrom(new Date(nowMs - durationMs - 3_600_000), window.timeZone).toMillis();
        while (tick <= nowMs) {
          if (nowMs < tick + durationMs) return true;
          tick = cron.getNextDateFrom(new Date(tick), window.timeZone).toMillis();
        }
        return false;
      });
    }

    it.each(sets.map((windows) => [windows.map((x) => x.schedule).join(' + '), windows] as const))('%s', (_name, windows) => {
      const forward = instants.map((ms) => windowState(windows, new Date(ms)));
      forward.forEach((state, i) => {
        const nowMs = instants[i] ?? 0;
        expect([new Date(nowMs).toISOString(), state.open]).toEqual([new Date(nowMs).toISOString(), bruteForceOpen(windows, nowMs)]);
        // The state changes exactly at the instant it announces.
        if (state.nextOpenAt) {
          const opens = Date.parse(state.nextOpenAt);
          expect(windowState(windows, new Date(opens - 1)).open).toBe(false);
          expect(windowState(windows, new Date(opens)).open).toBe(true);
        }
        if (state.closesAt) {
          const closes = Date.parse(state.closesAt);
          expect(windowState(windows, new Date(closes - 1)).open).toBe(true);
          expect(windowState(windows, new Date(closes)).open).toBe(false);
        }
      });
      // Asked in any order, the answers are the same (what is remembered between calls must not show).
      const backward: WindowState[] = [...instants].reverse().map((ms) => windowState(windows, new Date(ms)));
      expect(backward.reverse()).toEqual(forward);
    });
  });
});
