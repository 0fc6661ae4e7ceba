import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ttyProgress } from '../src/cli/progress-tty.ts';

/** A stream that says it is a terminal and keeps what is written to it. */
class FakeTty extends Writable {
  readonly isTTY = true;
  columns = 160;
  rows = 40;
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-9;?]*[A-Za-z]|[78])/g;
const MB = 1048576;

describe('ttyProgress', () => {
  it('draws a live line with objects, records, rejects, bytes, rate and ETA, in place, then ends it', async () => {
    const tty = new FakeTty();
    let now = 1_000_000;
    const p = ttyProgress(tty as unknown as NodeJS.WriteStream, { fps: 100, now: () => now });
    p.start(4, 8 * MB);
    p.bytes(2 * MB);
    p.object(1000, 2);
    now += 2000;
    await sleep(80); // a few redraws at 100 fps
    const midway = tty.text.replace(ANSI, '');
    expect(midway).toContain('1/4 objects, 1000 records (2 rejected), 2.0 MB of 8.0 MB, 500 records/s, ETA 6s');
    expect(midway).toMatch(/ 25% /);
    expect(tty.text).toMatch(ANSI); // redrawn in place with cursor control, not appended lines
    expect(tty.text).not.toContain('\n');

    p.bytes(6 * MB);
    for (let i = 0; i < 3; i++) p.object(1000, 0);
    now += 2000;
    p.stop();
    const lines = tty.text.replace(ANSI, '').split('\n');
    expect(lines).toHaveLength(2); // the last state, then a newline so later output starts clean
    expect(lines[1]).toBe('');
    expect(lines[0]).toContain('100% 4/4 objects, 4000 records (2 rejected), 8.0 MB of 8.0 MB, 1000 records/s, ETA 0s');
    expect(lines[0]).toContain('█'.repeat(24));

    // etl stops its reporter twice: the second stop draws nothing more.
    const before = tty.text;
    p.stop();
    expect(tty.text).toBe(before);
  });

  it('while the listing goes on, shows the totals so far with a + and no ETA, then the final ones', async () => {
    const tty = new FakeTty();
    let now = 1_000_000;
    const p = ttyProgress(tty as unknown as NodeJS.WriteStream, { fps: 100, now: () => now });
    p.start(0, 0, true);
    p.planned(1000, 2 * MB, true);
    p.bytes(MB);
    for (let i = 0; i < 500; i++) p.object(1, 0);
    now += 3000;
    await sleep(80);
    expect(tty.text.replace(ANSI, '')).toContain('500/1000+ objects, 500 records (0 rejected), 1.0 MB of 2.0+ MB, 167 records/s, ETA …');
    p.planned(1500, 3 * MB, false);
    now += 1000;
    p.bytes(MB);
    await sleep(80);
    p.stop();
    expect(tty.text.replace(ANSI, '').split('\n')[0]).toMatch(/500\/1500 objects, 500 records \(0 rejected\), 2\.0 MB of 3\.0 MB, 125 records\/s, ETA \d+s$/);
  });

  it('prints log lines above the live line instead of through it', async () => {
    const tty = new FakeTty();
    let now = 0;
    const p = ttyProgress(tty as unknown as NodeJS.WriteStream, { fps: 100, now: () => now });
    p.write('before the bar\n');
    p.start(2, 2 * MB);
    p.bytes(MB);
    p.object(10, 0);
    await sleep(30);
    p.write('warning: retrying log_data/x.json\n');
    p.write('warning: no newline given');
    p.bytes(MB);
    p.object(10, 0);
    now += 1000;
    p.stop();
    p.write('after the bar\n');
    // What a terminal would show: each line as last drawn (carriage returns and cursor moves redraw in place).
    const screen = tty.text.replace(ANSI, '\r').split('\n').map((l) => l.split('\r').filter(Boolean).at(-1) ?? '');
    expect(screen[0]).toBe('before the bar');
    expect(screen[1]).toBe('warning: retrying log_data/x.json');
    expect(screen[2]).toBe('warning: no newline given');
    expect(screen[3]).toContain('100% 2/2 objects, 20 records (0 rejected), 2.0 MB of 2.0 MB, 20 records/s, ETA 0s');
    expect(screen[4]).toBe('after the bar');
  });

  it('draws nothing when no load started', () => {
    const tty = new FakeTty();
    const p = ttyProgress(tty as unknown as NodeJS.WriteStream);
    p.stop();
    expect(tty.text).toBe('');
  });

  it('counts objects when there are no bytes to count', () => {
    const tty = new FakeTty();
    let now = 0;
    const p = ttyProgress(tty as unknown as NodeJS.WriteStream, { now: () => now });
    p.start(2, 0);
    p.object(0, 0);
    now += 1000;
    p.stop();
    // One second in, too early for an ETA worth reading.
    expect(tty.text.replace(ANSI, '')).toContain(' 50% 1/2 objects, 0 records (0 rejected), 0.0 MB of 0.0 MB, 0 records/s, ETA …');
  });

  it('fits the terminal: at 80 and 120 columns the ETA stays, the least useful parts go first', async () => {
    for (const columns of [80, 120, 60]) {
      const tty = new FakeTty();
      tty.columns = columns;
      let now = 0;
      const p = ttyProgress(tty as unknown as NodeJS.WriteStream, { fps: 100, now: () => now });
      p.start(30, 912 * MB);
      p.bytes(371 * MB);
      for (let i = 0; i < 12; i++) p.object(67_695, 0);
      now += 4000;
      await sleep(30);
      p.stop();
      const line = tty.text.replace(ANSI, '\r').split('\n')[0].split('\r').filter(Boolean).at(-1)!;
      expect([...line].length, `${columns}: ${line}`).toBeLessThan(columns);
      expect(line, `${columns}`).toMatch(/12\/30 objects, 812340 records.*ETA \d+s$/);
      if (columns >= 120) expect(line).toContain('records/s');
    }
  });

  it('shows each phase with its elapsed time, keeps the staging line and clears the others', async () => {
    const tty = new FakeTty();
    let now = 0;
    const p = ttyProgress(tty as unknown as NodeJS.WriteStream, { fps: 100, now: () => now });
    p.phase('listing');
    now += 1000;
    await sleep(30);
    expect(tty.text.replace(ANSI, '')).toContain('listing the sources 1s');
    p.start(1, MB);
    p.bytes(MB);
    p.object(10, 0);
    p.phase('model');
    now += 45_000;
    await sleep(30);
    expect(tty.text.replace(ANSI, '')).toContain('model step 45s');
    p.phase('checks');
    now += 20_000;
    await sleep(30);
    expect(tty.text.replace(ANSI, '')).toContain('data-quality checks 20s');
    p.stop();
    const screen = tty.text.replace(ANSI, '\r').split('\n').map((l) => l.split('\r').filter((x) => x.trim()).at(-1) ?? '');
    expect(screen.filter((l) => l.includes('1/1 objects'))).toHaveLength(1); // the staging line stays
    expect(screen.filter((l) => l.includes('model step'))).toHaveLength(0); // replaced by the next phase
    expect(tty.text).toMatch(/data-quality checks 20s(?:\x1b\[[0-9;?]*[A-Za-z])*\x1b\[0J$/); // the last phase line is erased at the end
  });
});

describe('plain progress and the ETA', () => {
  it('gives no ETA in the first two seconds and reads it from the recent rate, not from a slow start', async () => {
    const { EtaEstimator } = await import('../src/cli/progress.ts');
    const e = new EtaEstimator(0);
    e.sample(1000, 1);
    expect(e.eta(1000, 1, 100)).toBeUndefined();
    // A slow start (1 unit in the first 10 s), then 10 units a second.
    for (let t = 11_000; t <= 30_000; t += 1000) e.sample(t, 1 + ((t - 10_000) / 1000) * 10);
    expect(e.eta(30_000, 201, 401)).toBeCloseTo(20, 0); // 200 left at 10/s
  });

  it('writes a line per phase with its elapsed time', async () => {
    const { plainProgress } = await import('../src/cli/progress.ts');
    const lines: { m: string; f: unknown }[] = [];
    let now = 0;
    const log = { info: (m: string, f?: unknown) => lines.push({ m, f }), warn() {}, error() {}, debug() {} };
    const p = plainProgress(log, 1_000_000, () => now);
    p.start(2, 100);
    p.bytes(100);
    p.object(5, 0);
    p.object(5, 1);
    now += 3000;
    p.phase('model');
    now += 12_000;
    p.stop();
    expect(lines[0].m).toBe('progress: 2/2 objects, 10 records (1 rejected), 0.0 MB of 0.0 MB, 3 records/s, ETA 0s');
    expect(lines[0].f).toMatchObject({ event: 'progress', phase: 'staging', objectsDone: 2, records: 10, rejects: 1 });
    expect(lines).toHaveLength(1); // a phase line only every everyMs, none at stop
  });
});
