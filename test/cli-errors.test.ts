import { describe, expect, it } from 'vitest';
import { userMessage } from '../src/cli/errors.ts';
import { ConfigError } from '../src/common/errors.ts';
import { thinMatchNote } from '../src/report/notes.ts';

const errno = (code: string, syscall: string, path?: string) => Object.assign(new Error(`${syscall} ${path ?? ''} ${code}`), { code, syscall, path });

describe('no raw library error reaches the user', () => {
  it('names what failed for system errors, and keeps the loader\'s own messages', () => {
    expect(userMessage(errno('EACCES', 'spawn /root/x/node_modules/initdb', '/root/x/node_modules/initdb'))).toBe('cannot run /root/x/node_modules/initdb: permission denied');
    expect(userMessage(errno('ENOENT', 'open', '/nope/report.html'))).toBe('cannot use /nope/report.html: no such file or folder');
    expect(userMessage(errno('ENOSPC', 'write'))).toBe('a write call failed: no space left on the device');
    expect(userMessage(new ConfigError('dwh.cfg:3: bad', { hint: 'fix it' }))).toBe('dwh.cfg:3: bad (fix it)');
    expect(userMessage(new Error('plain'))).toBe('plain');
  });
});

describe('report footnote', () => {
  const overview = (songplays: number, matched: number) => ({ songplays, matchedSongplays: matched, listeners: 1, users: 1, songs: 1, artists: 1, firstPlay: null, lastPlay: null });
  it('appears when few plays matched a catalogue song, and not otherwise', () => {
    expect(thinMatchNote(overview(6820, 1))).toBe('Only 1 of 6820 songplays (0.01%) matched a catalogue song: the top songs and top artists rest on that one play. "Top songs as logged" counts every play.');
    expect(thinMatchNote(overview(1000, 50))).toMatch(/^Only 50 of 1000 songplays \(5\.0%\) matched a catalogue song: the top songs and top artists rest on those plays/);
    expect(thinMatchNote(overview(100_000, 500))).toMatch(/^Only 500 of 100000 songplays \(0\.5%\)/);
    expect(thinMatchNote(overview(1000, 100))).toBeUndefined();
    expect(thinMatchNote(overview(0, 0))).toBeUndefined();
  });
});
