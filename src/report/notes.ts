/**
 * Footnotes a reader needs before trusting a chart. The top-songs and
 * top-artists answers count only songplays matched to a catalogue song; on
 * the Udacity sample that is one play of 6820, so its "top song" is a chart of
 * one play. Below these thresholds the report says so next to those charts.
 */
import type { Overview } from './types.ts';

/** Fewer matched plays than this, or under this share of all plays, is too thin to rank songs by. */
export const THIN_MATCHES = { plays: 100, share: 0.01 } as const;

/** The footnote for the catalogue charts, or undefined when enough plays matched. */
export function thinMatchNote(o: Overview): string | undefined {
  if (o.songplays === 0) return undefined;
  if (o.matchedSongplays >= THIN_MATCHES.plays && o.matchedSongplays / o.songplays >= THIN_MATCHES.share) return undefined;
  const share = ((o.matchedSongplays / o.songplays) * 100).toFixed(o.matchedSongplays / o.songplays < 0.001 ? 2 : 1);
  return (
    `Only ${o.matchedSongplays} of ${o.songplays} songplays (${share}%) matched a catalogue song: the top songs and top artists rest on ` +
    `${o.matchedSongplays === 1 ? 'that one play' : 'those plays'}. "Top songs as logged" counts every play.`
  );
}
