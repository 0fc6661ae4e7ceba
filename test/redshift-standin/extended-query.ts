/**
 * The extended query protocol as node-postgres uses it for parameterized
 * queries: Parse, Bind, Describe, Execute, Close (Sync and Flush are the
 * session's). A portal's statement runs once, at Describe or Execute,
 * whichever comes first; after an error, messages are skipped until Sync.
 */
import { StandinError } from './errors.ts';
import { significant, tokenize, type Token } from './sql-lexer.ts';
import { checkRefusals } from './sql-refusals.ts';
import type { Outcome, StatementText } from './statement-runner.ts';
import * as wire from './wire.ts';

export interface ExtendedHost {
  send(...messages: Buffer[]): void;
  run(stmt: StatementText, values: unknown[]): Promise<Outcome>;
  sendOutcome(outcome: Outcome, describe: boolean): void;
  /** Reports a failed message; `sql` is the statement's text, for the error position. */
  reportError(err: unknown, sql: string): Promise<void>;
}

interface Prepared {
  text: string;
  tokens: Token[];
  paramTypes: number[];
}

interface Portal {
  stmt: Prepared;
  values: unknown[];
  outcome?: Outcome;
}

export class ExtendedQuery {
  private readonly host: ExtendedHost;
  private readonly statements = new Map<string, Prepared>();
  private readonly portals = new Map<string, Portal>();
  private skipping = false;
  /** SQL of the statement being handled, for error positions. */
  private text = '';

  constructor(host: ExtendedHost) {
    this.host = host;
  }

  /** Sync: the error state ends and the unnamed portal goes away. */
  sync(): void {
    this.skipping = false;
    this.portals.delete('');
  }

  async handle(msg: wire.FrontendMessage): Promise<void> {
    if (this.skipping) return;
    try {
      await this.dispatch(msg);
    } catch (err) {
      this.skipping = true;
      await this.host.reportError(err, this.text);
    }
  }

  private async dispatch(msg: wire.FrontendMessage): Promise<void> {
    const r = new wire.BodyReader(msg.body);
    switch (msg.type) {
      case 'P': {
        const name = r.cstring();
        const text = r.cstring();
        const paramTypes = Array.from({ length: r.int16() }, () => r.int32());
        this.text = text;
        const tokens = tokenize(text);
        checkRefusals(significant(tokens));
        this.statements.set(name, { text, tokens, paramTypes });
        this.host.send(wire.parseComplete());
        return;
      }
      case 'B': {
        const portal = r.cstring();
        const stmt = this.statement(r.cstring());
        const formats = Array.from({ length: r.int16() }, () => r.int16());
        const values = Array.from({ length: r.int16() }, (_, k) => {
          const len = r.int32();
          if (len < 0) return null;
          const bytes = r.bytes(len);
          const binary = (formats.length === 1 ? formats[0] : formats[k]) === 1;
          return binary ? Buffer.from(bytes) : bytes.toString('utf8');
        });
        this.portals.set(portal, { stmt, values });
        this.host.send(wire.bindComplete());
        return;
      }
      case 'D': {
        const kind = r.byte();
        const name = r.cstring();
        if (kind === 'S') {
          // Statement describe is approximated: parameter types (text when unspecified), no row shape.
          const stmt = this.statement(name);
          const count = Math.max(stmt.paramTypes.length, ...stmt.tokens.filter((t) => t.kind === 'param').map((t) => Number(t.text.slice(1))), 0);
          this.host.send(wire.parameterDescription(Array.from({ length: count }, (_, k) => stmt.paramTypes[k] || 25)), wire.noData());
          return;
        }
        const outcome = await this.run(name);
        this.host.send(outcome.fields ? wire.rowDescription(outcome.fields) : wire.noData());
        return;
      }
      case 'E':
        this.host.sendOutcome(await this.run(r.cstring()), false);
        return;
      case 'C': {
        const kind = r.byte();
        const name = r.cstring();
        if (kind === 'S') this.statements.delete(name);
        else this.portals.delete(name);
        this.host.send(wire.closeComplete());
        return;
      }
    }
  }

  private statement(name: string): Prepared {
    const stmt = this.statements.get(name);
    if (!stmt) throw new StandinError('26000', `prepared statement "${name}" does not exist`);
    return stmt;
  }

  private async run(name: string): Promise<Outcome> {
    const portal = this.portals.get(name);
    if (!portal) throw new StandinError('34000', `portal "${name}" does not exist`);
    this.text = portal.stmt.text;
    portal.outcome ??= await this.host.run({ text: portal.stmt.text, tokens: portal.stmt.tokens }, portal.values);
    return portal.outcome;
  }
}
