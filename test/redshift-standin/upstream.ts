/**
 * One client session's connection to the real Postgres: a pg.Client whose
 * values stay Postgres text (identity type parsers, array rows), with the
 * exact CommandComplete tags and the transaction status of every
 * ReadyForQuery captured from the protocol, so the stand-in can relay both.
 */
import pg from 'pg';
import type { FieldDescription } from './wire.ts';

export type TxStatus = 'I' | 'T' | 'E';

/** The fields of a Postgres NoticeResponse, as pg parses them. */
export interface UpstreamNotice {
  severity?: string;
  code?: string;
  message?: string;
  detail?: string;
  hint?: string;
  where?: string;
}

export interface UpstreamResult {
  /** Absent for statements that return no rows (no RowDescription). */
  fields?: FieldDescription[];
  rows: (string | null)[][];
  /** The CommandComplete tag exactly as Postgres sent it; undefined for an empty query. */
  tag?: string;
}

interface ProtocolEvents {
  on(event: 'readyForQuery', listener: (msg: { status: string }) => void): void;
  on(event: 'commandComplete', listener: (msg: { text: string }) => void): void;
  on(event: 'emptyQuery', listener: () => void): void;
}

const identity = (value: string): string => value;

export class Upstream {
  readonly client: pg.Client;
  status: TxStatus = 'I';
  private tags: (string | undefined)[] = [];

  private constructor(client: pg.Client) {
    this.client = client;
  }

  /** Connects; `onNotice` receives Postgres notices (warnings, INFO) for relaying. */
  static async connect(config: pg.ClientConfig, onNotice: (msg: UpstreamNotice) => void, onError: (err: Error) => void): Promise<Upstream> {
    // Every value stays the text Postgres sent, so it can be relayed byte for byte.
    const client = new pg.Client({ ...config, types: { getTypeParser: () => identity } as unknown as pg.CustomTypesConfig });
    const up = new Upstream(client);
    const con = (client as unknown as { connection: ProtocolEvents }).connection;
    con.on('readyForQuery', (msg) => {
      up.status = msg.status as TxStatus;
    });
    con.on('commandComplete', (msg) => up.tags.push(msg.text));
    con.on('emptyQuery', () => up.tags.push(undefined));
    client.on('notice', onNotice);
    client.on('error', onError);
    await client.connect();
    return up;
  }

  get processId(): number {
    return (this.client as unknown as { processID: number }).processID;
  }

  /** Runs SQL (simple protocol without values, extended with them); one result per statement. */
  async run(text: string, values?: unknown[]): Promise<UpstreamResult[]> {
    this.tags = [];
    const res = (await this.client.query({ text, values, rowMode: 'array' })) as unknown as pg.QueryArrayResult | pg.QueryArrayResult[];
    const list = Array.isArray(res) ? res : [res];
    return list.map((r, k) => ({
      fields: r.fields.length > 0 ? r.fields.map(toField) : undefined,
      rows: r.rows as (string | null)[][],
      tag: this.tags[k],
    }));
  }

  async end(): Promise<void> {
    await this.client.end();
  }
}

function toField(f: pg.FieldDef): FieldDescription {
  return {
    name: f.name,
    tableID: f.tableID,
    columnID: f.columnID,
    dataTypeID: f.dataTypeID,
    dataTypeSize: f.dataTypeSize,
    dataTypeModifier: f.dataTypeModifier,
  };
}
