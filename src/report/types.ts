/**
 * The typed answers of `sparkify report`: what `--json` prints and what the
 * text and HTML renderers draw. Counts are plain numbers (JSON-safe up to 2^53).
 */

export interface Report {
  /** When the report was run, ISO 8601 UTC. */
  generatedAt: string;
  /** The schema the queries ran in, or null for the database default. */
  schema: string | null;
  overview: Overview;
  /** Most played catalogue songs (songplays with a song_id), with their artist. */
  topSongs: { songId: string; title: string | null; artist: string | null; plays: number }[];
  /** Artists with the most plays of their catalogue songs. */
  topArtists: { artistId: string; artist: string | null; plays: number; songs: number }[];
  /** Most played (title, artist) pairs as logged, catalogue or not (from stg_events). */
  topSongsAsLogged: { title: string | null; artist: string | null; plays: number }[];
  /** 24 entries, hour 0…23 UTC, zeros included. */
  playsByHour: { hour: number; plays: number }[];
  /** 7 entries, weekday 0 = Sunday … 6 = Saturday, zeros included. */
  playsByWeekday: { weekday: number; name: string; plays: number; users: number }[];
  /** plays[weekday][hour], 7 × 24, weekday 0 = Sunday, UTC. */
  hourByWeekday: { weekdays: string[]; hours: number[]; plays: number[][] };
  /** Plays and distinct users per level ('free', 'paid'; null when unknown). */
  levels: { level: string | null; plays: number; users: number }[];
  levelChanges: LevelChanges;
  /** Locations with the most plays. */
  topLocations: { location: string; plays: number; users: number }[];
  devices: Devices;
  /** One entry per UTC day from the first to the last play, zeros included. */
  dailyActiveUsers: { day: string; users: number; plays: number }[];
  sessions: { sessions: number; songplays: number; avgSongs: number | null; maxSongs: number | null };
}

export interface Overview {
  songplays: number;
  /** Distinct users among the songplays. */
  listeners: number;
  users: number;
  songs: number;
  artists: number;
  /** Songplays matched to a catalogue song. */
  matchedSongplays: number;
  /** UTC, `YYYY-MM-DD HH:MM:SS`, or null with no songplays. */
  firstPlay: string | null;
  lastPlay: string | null;
}

/**
 * Level changes from ordered transitions per user (see sql/report/08-level-changes.sql):
 * an upgrade is a 'free' play followed by a 'paid' one, a downgrade the reverse.
 */
export interface LevelChanges {
  listeners: number;
  /** Users with at least one upgrade or downgrade (= songplays with both levels). */
  changed: number;
  upgraded: number;
  downgraded: number;
  upgrades: number;
  downgrades: number;
  /** Up to 20 users who changed, most changes first. */
  users: { userId: number; firstName: string | null; lastName: string | null; upgrades: number; downgrades: number; currentLevel: string | null }[];
}

/** Plays per browser, operating system and device type, parsed from songplays.user_agent. */
export interface Devices {
  /** Distinct user agent strings seen. */
  agents: number;
  browsers: NamedPlays[];
  os: NamedPlays[];
  deviceTypes: NamedPlays[];
}

export interface NamedPlays {
  name: string;
  plays: number;
  /** Share of all songplays, in percent with one decimal. */
  share: number;
}
