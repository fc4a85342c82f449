import { formatLogRecord } from '../../../cli/logger.js';

describe('formatLogRecord', () => {
  it('turns the informer retry warning into a short sentence', () => {
    const json = JSON.stringify({
      level: 40,
      msg: 'list/watch failed; retrying',
      err: 'request to https://127.0.0.1:6443/apis/sluice.dev/v1alpha1/namespaces/test/canaries?watch=true failed, reason: connect ECONNREFUSED 127.0.0.1:6443',
      retryInMs: 500,
    });
    expect(formatLogRecord(json)).toBe('warning: the watch was interrupted; reconnecting (connect ECONNREFUSED 127.0.0.1:6443)\n');
  });

  it('labels errors and passes other messages through', () => {
    expect(formatLogRecord(JSON.stringify({ level: 50, msg: 'informer handler threw', err: '403 forbidden' }))).toBe('error: informer handler threw (403 forbidden)\n');
    expect(formatLogRecord(JSON.stringify({ level: 40, msg: 'plain' }))).toBe('warning: plain\n');
  });

  it('keeps a line it cannot parse', () => {
    expect(formatLogRecord('not json')).toBe('not json\n');
  });
});
