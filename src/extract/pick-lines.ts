/**
 * Chosen lines of a byte stream, by 1-based number, for the raw text of
 * rejects that Redshift found itself (direct mode): SYS_LOAD_ERROR_DETAIL
 * names the file and line but keeps no text. Only the wanted lines are
 * buffered, each cut after `maxBytes` (memory: their total, not the object's).
 */

/** Lines end at LF; a CR before it is dropped (Redshift counts lines the same way). */
export async function pickLines(body: AsyncIterable<Buffer>, wanted: ReadonlySet<number>, maxBytes: number): Promise<Map<number, Buffer>> {
  const out = new Map<number, Buffer>();
  if (wanted.size === 0) return out;
  const last = Math.max(...wanted);
  let line = 1;
  let parts: Buffer[] = [];
  let size = 0;
  const keep = (piece: Buffer) => {
    if (!wanted.has(line) || size > maxBytes) return;
    const room = maxBytes + 1 - size;
    parts.push(piece.length > room ? piece.subarray(0, room) : piece);
    size += Math.min(piece.length, room);
  };
  const end = () => {
    if (wanted.has(line)) {
      const bytes = Buffer.concat(parts);
      out.set(line, bytes.at(-1) === 0x0d ? bytes.subarray(0, -1) : bytes);
    }
    parts = [];
    size = 0;
    line++;
  };
  for await (const chunk of body) {
    let at = 0;
    for (let nl = chunk.indexOf(0x0a, at); nl >= 0; nl = chunk.indexOf(0x0a, at)) {
      keep(chunk.subarray(at, nl));
      end();
      at = nl + 1;
      if (line > last) return out;
    }
    keep(chunk.subarray(at));
  }
  if (size > 0 || parts.length > 0) end();
  return out;
}
