/**
 * Valid but hostile strings, the kind that break hand-written CSV/COPY encoders:
 * quotes, commas, `\n` and `\r\n`, tabs, backslashes, COPY's NULL marker `\N`, the
 * word `NULL`, COPY's end-of-data line `\.` inside a multi-line value, edge spaces,
 * non-BMP characters (surrogate pairs in JSON) and right-to-left text. Never U+0000:
 * Postgres text cannot hold it, so SPEC §3 rejects it.
 */
import { hash32 } from './prng.ts';

export const NASTY_TITLES: readonly string[] = [
  'Say "Hello", Then Goodbye',
  'First Verse\nSecond Verse',
  'Carriage\r\nReturn Blues',
  'Tab\tStop',
  'Back\\Slash \\ Boogie',
  '\\N',
  'NULL',
  'End Of Data\n\\.\nAfter The End',
  '  Spaced Out  ',
  'Guitar Hero 🎸🎶',
  'שיר לילה',
  'Musical 𝄞 Clef, "Live"\r\n\\.\r\nEncore',
];

export const NASTY_ARTISTS: readonly string[] = [
  'NULL',
  '\\N',
  'Crosby, Stills & "Friends"',
  'The\tTabulators',
  ' Trailing Space Trio ',
  'فرقة القمر',
  '😀 Emoji Ensemble',
  'Multi\nLine\r\nCollective',
  'C:\\Music\\Band\\',
  'Slash Dot\n\\.',
  'Sigur Rós',
  '"Quoted" Band',
];

export const NASTY_LOCATIONS: readonly string[] = [
  'Portland, OR\n\\.\nSeattle, WA',
  '\\N',
  'NULL',
  'Montréal, "QC"',
  'תל אביב, Israel',
  ' Austin, TX ',
  'Tab\tCity, CA',
  'Tokyo 東京 🗼',
  'C:\\Home\\Town',
  'Line\r\nBreak, NJ',
  'Two\nLines, GA',
  'القاهرة, مصر',
];

export const NASTY_LAST_NAMES: readonly string[] = [
  "O'Brien",
  'Smith, Jr.',
  'Da "Silva"',
  ' Nuñez ',
  'Back\\slash',
  'כהן',
  'Zhang 张',
  'Emoji 😀',
];

/**
 * The nasty value for record `index`, or null for an ordinary one. Records
 * `offset, offset + stride, …` take the whole list in order, so a small run already
 * holds every value (`list.length × stride` records suffice); later slots are
 * sprinkled sparsely (1 in 32) so big runs keep a few without drowning in them.
 */
export function nastyAt(list: readonly string[], index: number, stride: number, offset: number, key: number): string | null {
  if (index % stride !== offset) return null;
  const slot = (index - offset) / stride;
  if (slot < list.length) return list[slot];
  return hash32(key, index) % 32 === 0 ? list[hash32(key, index, 1) % list.length] : null;
}
