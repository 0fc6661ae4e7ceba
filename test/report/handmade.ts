/**
 * A tiny hand-made data set where plays do match catalogue songs (the real
 * sample has one match in 6820 plays), written to a temp folder in the
 * Udacity layout. Titles carry HTML-special characters on purpose.
 */
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const NASTY_TITLE = `<script>alert("x")</script> & 'Bye'`;

const SONGS = [
  { song_id: 'SOAAA', title: 'Alpha', artist_id: 'ARX', artist_name: 'Xylo', duration: 200.5 },
  { song_id: 'SOBBB', title: NASTY_TITLE, artist_id: 'ARX', artist_name: 'Xylo', duration: 180.25 },
  { song_id: 'SOCCC', title: 'Gamma', artist_id: 'ARY', artist_name: 'Yodel & Co', duration: 99 },
  { song_id: 'SODDD', title: 'Never Played', artist_id: 'ARY', artist_name: 'Yodel & Co', duration: 10 },
];

const UA = {
  chromeWin: '"Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/36.0.1985.143 Safari/537.36"',
  firefoxLinux: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:31.0) Gecko/20100101 Firefox/31.0',
  safariIphone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 7_1_2 like Mac OS X) AppleWebKit/537.51.2 (KHTML, like Gecko) Version/7.0 Mobile/11D257 Safari/9537.53',
};

/** 2018-11-05 is a Monday. */
const T0 = Date.UTC(2018, 10, 5, 10, 0, 0);

function event(session: number, item: number, user: string, level: string, minutes: number, song: (typeof SONGS)[number] | null, ua: string, page = 'NextSong') {
  return {
    artist: song?.artist_name ?? null,
    auth: user ? 'Logged In' : 'Logged Out',
    firstName: user ? `First${user}` : null,
    gender: user ? 'F' : null,
    itemInSession: item,
    lastName: user ? `Last${user}` : null,
    length: song?.duration ?? null,
    level,
    location: user === '2' ? 'Springfield, IL' : 'Shelbyville, IL',
    method: 'PUT',
    page,
    registration: 1540000000000,
    sessionId: session,
    song: song?.title ?? null,
    status: 200,
    ts: T0 + minutes * 60_000,
    userAgent: ua,
    userId: user,
  };
}

/**
 * Plays: Alpha 3, the nasty title 2, Gamma 1 (artist Xylo 5 plays of 2 songs);
 * user 1 goes free → paid → free (one upgrade, one downgrade); user 2 stays paid.
 * Day 2 repeats one event of day 1 (a re-delivered copy: counts once).
 */
export async function writeHandmade(): Promise<{ songs: string; logs: string }> {
  const root = await mkdtemp(join(tmpdir(), 'sparkify-report-'));
  const [alpha, nasty, gamma] = SONGS;
  for (const s of SONGS) {
    const dir = join(root, 'song_data', 'A', 'B', 'C');
    await mkdir(dir, { recursive: true });
    const doc = { num_songs: 1, artist_id: s.artist_id, artist_latitude: null, artist_longitude: null, artist_location: '', artist_name: s.artist_name, song_id: s.song_id, title: s.title, duration: s.duration, year: 0 };
    await writeFile(join(dir, `TR${s.song_id}.json`), JSON.stringify(doc));
  }
  const day1 = [
    event(10, 0, '1', 'free', 0, alpha, UA.chromeWin),
    event(10, 1, '1', 'free', 4, nasty, UA.chromeWin),
    event(10, 2, '1', 'free', 8, null, UA.chromeWin, 'Upgrade'),
    event(10, 3, '1', 'paid', 9, alpha, UA.chromeWin),
    event(20, 0, '2', 'paid', 60, alpha, UA.firefoxLinux),
    event(20, 1, '2', 'paid', 64, gamma, UA.firefoxLinux),
    event(30, 0, '', 'free', 70, alpha, UA.safariIphone), // logged out: not a songplay
  ];
  const day2 = [
    day1[4], // the same event again, from a later object
    event(11, 0, '1', 'free', 24 * 60 + 5, nasty, UA.safariIphone),
  ];
  const logs = join(root, 'log_data', '2018', '11');
  await mkdir(logs, { recursive: true });
  await writeFile(join(logs, '2018-11-05-events.json'), day1.map((e) => JSON.stringify(e)).join('\n') + '\n');
  await writeFile(join(logs, '2018-11-06-events.json'), day2.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return { songs: join(root, 'song_data'), logs: join(root, 'log_data') };
}
