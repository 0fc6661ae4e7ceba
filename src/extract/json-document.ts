/**
 * Document mode of the format rule (SPEC §2): an object whose first line is
 * not a complete JSON value is read as JSON text with stream-json's push
 * parser, so memory stays bounded even for a document of millions of records.
 * Top-level arrays contribute each element as it completes; consecutive
 * top-level values (pretty-printed objects one after another) are each
 * records too. Any syntax error or invalid UTF-8 fails the whole document.
 */
import { jsonParser } from 'stream-json/core/parser.js';
import AssemblerModule from 'stream-json/core/assembler.js';
import { none, isMany, getManyValues } from 'stream-chain/core';
import type { Token } from 'stream-json/core/parser.js';
import { ExactNumber, mayBeInexact } from './exact-number.ts';

type AssemblerInstance = {
  current: unknown;
  done: boolean;
  depth: number;
  consume(token: Token): unknown;
  numberValue(literal: string): void;
  _saveValue(value: unknown): void;
};
const Assembler = AssemblerModule as unknown as new () => AssemblerInstance;

/** Receives each record value of the document. */
export type DocumentValueHandler = (value: unknown) => void;

export class JsonDocumentReader {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly parse = jsonParser({ jsonStreaming: true, streamValues: false });
  private readonly asm = new Assembler();
  private readonly onValue: DocumentValueHandler;
  private topIsArray = false;

  constructor(onValue: DocumentValueHandler) {
    this.onValue = onValue;
    // Numbers beyond 2^53 keep their source text (see exact-number.ts).
    this.asm.numberValue = function (this: AssemblerInstance, literal: string) {
      const n = parseFloat(literal);
      this._saveValue(mayBeInexact(n) ? new ExactNumber(literal) : n);
    };
  }

  /** Feeds bytes; throws (TypeError for invalid UTF-8, Error for bad JSON) when the document is malformed. */
  push(bytes: Uint8Array): void {
    const text = this.decoder.decode(bytes, { stream: true });
    if (text) this.tokens(this.parse(text));
  }

  /** Ends the document; throws when it stops in the middle of a value. */
  end(): void {
    const tail = this.decoder.decode();
    if (tail) this.tokens(this.parse(tail));
    this.tokens(this.parse(none as never));
    if (!this.asm.done) throw new Error('document ends in the middle of a value');
  }

  private tokens(out: unknown): void {
    if (out === none) return;
    if (isMany(out)) for (const t of getManyValues(out) as Token[]) this.token(t);
    else this.token(out as Token);
  }

  private token(t: Token): void {
    const asm = this.asm;
    if (asm.done && t.name === 'startArray') this.topIsArray = true;
    asm.consume(t);
    if (this.topIsArray) {
      if (asm.done) {
        this.topIsArray = false; // the array's elements were already handed out
      } else if (asm.depth === 1) {
        const arr = asm.current as unknown[];
        if (arr.length > 0) this.onValue(arr.pop());
      }
    } else if (asm.done && isValueEnd(t)) {
      this.onValue(asm.current);
    }
  }
}

/** Tokens after which a completed top-level value is ready. */
function isValueEnd(t: Token): boolean {
  switch (t.name) {
    case 'endObject':
    case 'endArray':
    case 'stringValue':
    case 'numberValue':
    case 'nullValue':
    case 'trueValue':
    case 'falseValue':
      return true;
    default:
      return false;
  }
}
