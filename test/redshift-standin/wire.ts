/**
 * Postgres v3 wire protocol, server side: framing of frontend messages and
 * encoding of backend messages. Only what a Redshift-like server needs.
 * Reference: https://www.postgresql.org/docs/current/protocol-message-formats.html
 */
import type { ErrorFields } from './errors.ts';

export const SSL_REQUEST = 80877103;
export const GSSENC_REQUEST = 80877104;
export const CANCEL_REQUEST = 80877102;
export const PROTOCOL_3 = 196608;

/** A message from the client: `type` is the one-byte tag, or '' for the untagged startup-phase packets. */
export interface FrontendMessage {
  type: string;
  body: Buffer;
}

/** Accumulates socket bytes and cuts them into messages. */
export class MessageBuffer {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** Next message; `startup` selects the untagged format (length, then body) used before authentication. */
  next(startup: boolean): FrontendMessage | undefined {
    const header = startup ? 4 : 5;
    if (this.buf.length < header) return undefined;
    const len = this.buf.readInt32BE(startup ? 0 : 1);
    const total = startup ? len : len + 1;
    if (len < 4 || this.buf.length < total) return undefined;
    const type = startup ? '' : String.fromCharCode(this.buf[0]);
    const body = this.buf.subarray(header, total);
    this.buf = this.buf.subarray(total);
    return { type, body: Buffer.from(body) };
  }

  get pending(): number {
    return this.buf.length;
  }
}

/** Reads NUL-terminated strings and integers from a message body. */
export class BodyReader {
  private offset = 0;
  private readonly body: Buffer;

  constructor(body: Buffer) {
    this.body = body;
  }

  int16(): number {
    const v = this.body.readInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  int32(): number {
    const v = this.body.readInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  byte(): string {
    return String.fromCharCode(this.body[this.offset++]);
  }

  cstring(): string {
    const end = this.body.indexOf(0, this.offset);
    const stop = end < 0 ? this.body.length : end;
    const s = this.body.toString('utf8', this.offset, stop);
    this.offset = stop + 1;
    return s;
  }

  bytes(n: number): Buffer {
    const b = this.body.subarray(this.offset, this.offset + n);
    this.offset += n;
    return b;
  }

  get remaining(): number {
    return this.body.length - this.offset;
  }
}

/** Builds one backend message: type byte, int32 length, body. */
class MessageWriter {
  private parts: Buffer[] = [];

  int16(v: number): this {
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }

  int32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32BE(v);
    this.parts.push(b);
    return this;
  }

  cstring(s: string): this {
    this.parts.push(Buffer.from(s, 'utf8'), Buffer.from([0]));
    return this;
  }

  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }

  build(type: string): Buffer {
    const body = Buffer.concat(this.parts);
    const head = Buffer.alloc(5);
    head.write(type, 0, 'latin1');
    head.writeInt32BE(body.length + 4, 1);
    return Buffer.concat([head, body]);
  }
}

export const authenticationOk = (): Buffer => new MessageWriter().int32(0).build('R');

export const authenticationMd5 = (salt: Buffer): Buffer => new MessageWriter().int32(5).raw(salt).build('R');

/**
 * Authentication code 13: what Redshift sends for a user whose password was
 * set as `sha256|…` [REDSHIFT-FACTS §8; redshift_connector handles codes 13
 * and 14]. The payload's layout is not documented; a salt stands in for it.
 */
export const authenticationSha256 = (salt: Buffer): Buffer => new MessageWriter().int32(13).raw(salt).build('R');

export const parameterStatus = (name: string, value: string): Buffer => new MessageWriter().cstring(name).cstring(value).build('S');

export const backendKeyData = (pid: number, secret: number): Buffer => new MessageWriter().int32(pid).int32(secret).build('K');

export const readyForQuery = (status: 'I' | 'T' | 'E'): Buffer => new MessageWriter().raw(Buffer.from(status, 'latin1')).build('Z');

export const commandComplete = (tag: string): Buffer => new MessageWriter().cstring(tag).build('C');

export const emptyQueryResponse = (): Buffer => new MessageWriter().build('I');

export const parseComplete = (): Buffer => new MessageWriter().build('1');

export const bindComplete = (): Buffer => new MessageWriter().build('2');

export const closeComplete = (): Buffer => new MessageWriter().build('3');

export const noData = (): Buffer => new MessageWriter().build('n');

export const parameterDescription = (oids: number[]): Buffer => {
  const w = new MessageWriter().int16(oids.length);
  for (const oid of oids) w.int32(oid);
  return w.build('t');
};

/** Column metadata as node-postgres reports it (pg's FieldDef). */
export interface FieldDescription {
  name: string;
  tableID: number;
  columnID: number;
  dataTypeID: number;
  dataTypeSize: number;
  dataTypeModifier: number;
}

export const rowDescription = (fields: FieldDescription[]): Buffer => {
  const w = new MessageWriter().int16(fields.length);
  for (const f of fields) {
    // Results are always relayed in text format (format code 0).
    w.cstring(f.name).int32(f.tableID).int16(f.columnID).int32(f.dataTypeID).int16(f.dataTypeSize).int32(f.dataTypeModifier).int16(0);
  }
  return w.build('T');
};

export const dataRow = (values: (string | null)[]): Buffer => {
  const w = new MessageWriter().int16(values.length);
  for (const v of values) {
    if (v === null) w.int32(-1);
    else {
      const b = Buffer.from(v, 'utf8');
      w.int32(b.length).raw(b);
    }
  }
  return w.build('D');
};

/** Notice severities the stand-in sends (INFO for COPY results, as Redshift does). */
export interface NoticeFields extends Omit<ErrorFields, 'severity'> {
  severity: string;
}

function fieldsMessage(type: 'E' | 'N', f: NoticeFields): Buffer {
  const w = new MessageWriter();
  const add = (code: string, value: string | number | undefined): void => {
    if (value === undefined || value === '') return;
    w.raw(Buffer.from(code, 'latin1')).cstring(String(value));
  };
  add('S', f.severity);
  add('V', f.severity);
  add('C', f.code);
  add('M', f.message);
  add('D', f.detail);
  add('H', f.hint);
  add('P', f.position);
  add('W', f.where);
  add('s', f.schema);
  add('t', f.table);
  add('c', f.column);
  add('d', f.dataType);
  add('n', f.constraint);
  w.raw(Buffer.from([0]));
  return w.build(type);
}

export const errorResponse = (f: ErrorFields): Buffer => fieldsMessage('E', f);

export const noticeResponse = (f: NoticeFields): Buffer => fieldsMessage('N', f);

/** Parses a StartupMessage body (after the protocol version) into its parameters. */
export function parseStartupParameters(reader: BodyReader): Map<string, string> {
  const params = new Map<string, string>();
  while (reader.remaining > 1) {
    const name = reader.cstring();
    if (name === '') break;
    params.set(name, reader.cstring());
  }
  return params;
}
