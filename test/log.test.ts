import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/common/log.ts';
import { registerSecret } from '../src/common/redact.ts';

describe('logger', () => {
  it('writes text lines with their level', () => {
    const out: string[] = [];
    const log = createLogger({ write: (l) => out.push(l) });
    log.info('listed 3 objects', { event: 'listed', objects: 3 });
    log.warn('slow');
    log.error('broken');
    expect(out).toEqual(['listed 3 objects\n', 'warning: slow\n', 'error: broken\n']);
  });

  it('writes one JSON object per line with --log-format json: time, level, run id, event, message, fields; secrets masked', () => {
    const out: string[] = [];
    registerSecret('hunter2-secret');
    const log = createLogger({ write: (l) => out.push(l), format: 'json', now: () => new Date('2026-12-04T10:00:00Z') });
    log.info('run starts');
    log.context?.({ runId: 7 });
    log.info('listed 3 objects in s3://b/p', { event: 'listed', objects: 3, source: 's3://b/p' });
    log.warn('password hunter2-secret leaked?');
    const lines = out.map((l) => {
      expect(l.endsWith('\n') && !l.slice(0, -1).includes('\n')).toBe(true);
      return JSON.parse(l);
    });
    expect(lines[0]).toEqual({ time: '2026-12-04T10:00:00.000Z', level: 'info', runId: null, event: 'log', message: 'run starts' });
    expect(lines[1]).toEqual({ time: '2026-12-04T10:00:00.000Z', level: 'info', runId: 7, event: 'listed', message: 'listed 3 objects in s3://b/p', objects: 3, source: 's3://b/p' });
    expect(lines[2].level).toBe('warn');
    expect(out[2]).not.toContain('hunter2-secret');
  });
});
