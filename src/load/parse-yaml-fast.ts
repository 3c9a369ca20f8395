/**
 * A fast path for the YAML that manifests are written in: block mappings and sequences, plain and
 * quoted scalars, comments, `---`/`...`, one-line flow collections of scalars and literal/folded
 * block scalars. `parseYamlFast(text)` returns what
 * `parseAllDocuments(text, { uniqueKeys: true }).map((d) => d.toJS({ maxAliasCount: 1000 }))`
 * returns (the `yaml` package v2, YAML 1.2 core schema), or `null` when the text uses anything
 * outside that subset or is not valid YAML; the caller then re-parses with `yaml`, which stays the
 * reference and the error reporter. `null` is always safe, so every doubt here returns `null`.
 *
 * One pass over the string with `charCodeAt`; a string is sliced only for a scalar's value.
 * Scalar folding and escapes are ported from `yaml`'s `compose/resolve-flow-scalar.js` and
 * `compose/resolve-block-scalar.js` (v2.9) so that the two agree to the character.
 */

/** Thrown inside the parser for "outside the subset or invalid"; never escapes `parseYamlFast`. */
class Bail {}
const BAIL = new Bail();

const NL = 10;
const TAB = 9;
const SPACE = 32;
const BANG = 33;
const DQUOTE = 34;
const HASH = 35;
const PERCENT = 37;
const AMP = 38;
const SQUOTE = 39;
const STAR = 42;
const COMMA = 44;
const DASH = 45;
const DOT = 46;
const COLON = 58;
const GT = 62;
const QMARK = 63;
const AT = 64;
const LBRACKET = 91;
const BACKSLASH = 92;
const RBRACKET = 93;
const BACKTICK = 96;
const LBRACE = 123;
const PIPE = 124;
const RBRACE = 125;

/**
 * YAML 1.2 §7.4.2: the `:` of an implicit block key at most 1024 characters after the key's start
 * (`yaml` reports KEY_OVER_1024_CHARS when `colon - start > 1024`). After an empty value `yaml`
 * counts from the line break that ended it (`a:\n` + 1024 characters + `: 1` is an error), and
 * sometimes from further back across blank lines; see `emptyEnd`.
 */
const MAX_IMPLICIT_KEY_CHARS = 1024;

/**
 * Collections nested deeper go to `yaml`, which reports RESOURCE_EXHAUSTION from about 1000 nested
 * flow collections (its recursion is deeper per level than ours); manifests nest under 30.
 */
const MAX_DEPTH = 100;

/** How a one-line plain scalar scan stopped. */
const PLAIN_EOL = 0;
const PLAIN_COMMENT = 1;
const PLAIN_KEY = 2;
type PlainStop = typeof PLAIN_EOL | typeof PLAIN_COMMENT | typeof PLAIN_KEY;

// The core schema's tests, in `yaml`'s order (schema/core/schema.js): null, bool, intOct, int,
// intHex, floatNaN, floatExp, float; the first match decides.
const NULL_RE = /^(?:~|[Nn]ull|NULL)$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT_RE = /^0o[0-7]+$/;
const INT_RE = /^[-+]?[0-9]+$/;
const INT_HEX_RE = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP_RE = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT_RE = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

/** A plain scalar's value under the YAML 1.2 core schema, exactly as `yaml` resolves it. */
function resolvePlain(s: string): unknown {
  const c = s.charCodeAt(0);
  if ((c >= 48 && c <= 57) || c === 43 || c === DASH || c === DOT) {
    if (INT_OCT_RE.test(s)) return parseInt(s.substring(2), 8);
    if (INT_RE.test(s)) return parseInt(s, 10);
    if (INT_HEX_RE.test(s)) return parseInt(s.substring(2), 16);
    if (FLOAT_NAN_RE.test(s)) {
      if (s.slice(-3).toLowerCase() === 'nan') return NaN;
      return s.charCodeAt(0) === DASH ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    }
    if (FLOAT_EXP_RE.test(s) || FLOAT_RE.test(s)) return parseFloat(s);
    return s;
  }
  switch (c) {
    case 126: // ~
    case 110: // n
    case 78: // N
      return NULL_RE.test(s) ? null : s;
    case 116: // t
    case 84: // T
    case 102: // f
    case 70: // F
      return BOOL_RE.test(s) ? c === 116 || c === 84 : s;
    default:
      return s;
  }
}

/** The JS object key `yaml`'s `toJS` makes of a scalar key (nodes/addPairToJSMap.js `stringifyKey`). */
function keyString(value: unknown): string {
  return value === null ? '' : String(value);
}

const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};

const HEX_DIGITS_RE = /^[0-9a-fA-F]+$/;

/** `yaml`'s `doubleQuotedValue` for a source that starts and ends with `"`; an error bails. */
function doubleQuotedValue(source: string): string {
  let res = '';
  for (let i = 1; i < source.length - 1; ++i) {
    const ch = source[i];
    if (ch === '\n') {
      // foldNewline: one break folds to a space, n breaks to n - 1 newlines.
      let fold = '';
      let next = source[i + 1];
      while (next === ' ' || next === '\t' || next === '\n') {
        if (next === '\n') fold += '\n';
        i += 1;
        next = source[i + 1];
      }
      res += fold === '' ? ' ' : fold;
    } else if (ch === '\\') {
      let next = source[++i];
      const cc = next === undefined ? undefined : ESCAPES[next];
      if (cc !== undefined) res += cc;
      else if (next === '\n') {
        // An escaped line break joins the lines; the next line's indentation is still trimmed.
        next = source[i + 1];
        while (next === ' ' || next === '\t') next = source[++i + 1];
      } else if (next === 'x' || next === 'u' || next === 'U') {
        const length = next === 'x' ? 2 : next === 'u' ? 4 : 8;
        const digits = source.substr(i + 1, length);
        // `i + 1 + length` must stay before the closing quote, as in `yaml`'s substr of the source.
        if (digits.length !== length || i + length >= source.length - 1 || !HEX_DIGITS_RE.test(digits)) throw BAIL;
        const code = parseInt(digits, 16);
        if (code > 0x10ffff) throw BAIL;
        res += String.fromCodePoint(code);
        i += length;
      } else throw BAIL;
    } else if (ch === ' ' || ch === '\t') {
      // Whitespace before a line break is trimmed.
      const wsStart = i;
      let next = source[i + 1];
      while (next === ' ' || next === '\t') next = source[++i + 1];
      if (next !== '\n') res += i > wsStart ? source.slice(wsStart, i + 1) : ch;
    } else {
      res += ch;
    }
  }
  return res;
}

/** `yaml`'s `unfoldLines`: folding of multi-line plain and single-quoted scalars. */
function unfoldLines(source: string): string {
  const lines = source.split('\n');
  if (lines.length === 1) return source;
  let res = trimEnd(lines[0] ?? '');
  let sep = ' ';
  for (let i = 1; i < lines.length - 1; i++) {
    const lm = trimEnd(trimStart(lines[i] ?? ''));
    if (lm === '') {
      if (sep === '\n') res += sep;
      else sep = '\n';
    } else {
      res += sep + lm;
      sep = ' ';
    }
  }
  return res + sep + trimStart(lines[lines.length - 1] ?? '');
}

function trimStart(s: string): string {
  let i = 0;
  while (i < s.length && (s.charCodeAt(i) === SPACE || s.charCodeAt(i) === TAB)) i++;
  return i === 0 ? s : s.slice(i);
}

function trimEnd(s: string): string {
  let i = s.length;
  while (i > 0 && (s.charCodeAt(i - 1) === SPACE || s.charCodeAt(i - 1) === TAB)) i--;
  return i === s.length ? s : s.slice(0, i);
}

class FastYamlParser {
  private readonly src: string;
  private readonly len: number;

  // The current line: the next one with content (blank and comment-only lines are skipped).
  private lineStart = 0;
  /** Column of the first non-space character; -1 at the end of input or on a `---`/`...` line. */
  private indent = -1;
  /** Index of the first non-space character. */
  private content = 0;
  private eof = false;
  private marker = false;
  /** Whether `nextLine` skipped a comment line to reach the current line. */
  private skippedComment = false;

  // Results of the last scan.
  private scanEnd = 0;
  private scanStop = 0;
  private quotedMultiline = false;
  private quotedEscape = false;
  private flowEnd = 0;
  private depth = 0;
  /**
   * Just after the indicator of the last empty value (`key:` or `-` with nothing after it), until
   * the next implicit key: that key's `:` must then also be within 1024 characters of it.
   */
  private emptyEnd = Infinity;

  constructor(src: string) {
    this.src = src;
    this.len = src.length;
  }

  parseStream(): unknown[] {
    const src = this.src;
    const docs: unknown[] = [];
    let inDoc = false;
    let hasContent = false;
    let value: unknown = null;
    this.nextLine(0);
    while (!this.eof) {
      if (this.marker) {
        const isStart = src.charCodeAt(this.content) === DASH;
        this.finishLine(this.content + 3);
        if (isStart) {
          if (inDoc) docs.push(value);
          inDoc = true;
        } else {
          // `...` outside a document still makes an (empty) document in `yaml`.
          docs.push(inDoc ? value : null);
          inDoc = false;
        }
        hasContent = false;
        value = null;
        continue;
      }
      if (hasContent) throw BAIL;
      value = this.parseValue(this.content, -1, true, true);
      inDoc = true;
      hasContent = true;
      if (!this.eof && !this.marker) throw BAIL;
    }
    if (inDoc) docs.push(value);
    return docs;
  }

  /** Move to the next content line at or after `from` (a line start). */
  private nextLine(from: number): void {
    const src = this.src;
    const len = this.len;
    let p = from;
    this.skippedComment = false;
    for (;;) {
      if (p >= len) {
        this.eof = true;
        this.marker = false;
        this.indent = -1;
        this.lineStart = len;
        this.content = len;
        return;
      }
      let q = p;
      while (src.charCodeAt(q) === SPACE) q++;
      if (q >= len) {
        p = len;
        continue;
      }
      const c = src.charCodeAt(q);
      if (c === NL) {
        p = q + 1;
        continue;
      }
      if (c === HASH) {
        const nl = src.indexOf('\n', q);
        p = nl < 0 ? len : nl + 1;
        this.skippedComment = true;
        continue;
      }
      if (c === TAB) throw BAIL;
      this.lineStart = p;
      this.content = q;
      this.eof = false;
      if (q === p && this.isMarkerAt(q)) {
        this.marker = true;
        this.indent = -1;
      } else {
        this.marker = false;
        this.indent = q - p;
      }
      return;
    }
  }

  /** `---` or `...` at `p` (a line start), followed by white space or the end. */
  private isMarkerAt(p: number): boolean {
    const src = this.src;
    const c = src.charCodeAt(p);
    if ((c !== DASH && c !== DOT) || src.charCodeAt(p + 1) !== c || src.charCodeAt(p + 2) !== c) return false;
    return p + 3 >= this.len || this.isWs(p + 3);
  }

  private isWs(p: number): boolean {
    const c = this.src.charCodeAt(p);
    return c === SPACE || c === NL || c === TAB;
  }

  /** Space, line break or end of input at `p`; a tab there is outside the subset. */
  private isSepOrEnd(p: number): boolean {
    if (p >= this.len) return true;
    const c = this.src.charCodeAt(p);
    if (c === TAB) throw BAIL;
    return c === SPACE || c === NL;
  }

  /** After a node that ends at `p`: only spaces and a comment may follow on its line. */
  private finishLine(p: number): void {
    const src = this.src;
    let q = p;
    while (src.charCodeAt(q) === SPACE) q++;
    if (q < this.len) {
      const c = src.charCodeAt(q);
      if (c === HASH) {
        if (q === p) throw BAIL;
        const nl = src.indexOf('\n', q);
        q = nl < 0 ? this.len : nl;
      } else if (c !== NL) throw BAIL;
    }
    this.nextLine(q + 1);
  }

  /**
   * The node starting at `p` on the current line (after `key:` or `- `, or at a line start).
   * `parentIndent` is the column of the key or `-` that owns it (-1 at the root): continuation
   * lines and block scalar content must be indented more. `compact` allows a block sequence or
   * mapping to start here (`- - a`, `- a: 1`, or a node at a line start).
   */
  private parseValue(p: number, parentIndent: number, compact: boolean, atLineStart: boolean): unknown {
    const src = this.src;
    const indicatorEnd = p;
    while (src.charCodeAt(p) === SPACE) p++;
    if (p >= this.len) {
      this.nextLine(this.len);
      return this.parseIndented(parentIndent, !compact, indicatorEnd);
    }
    const c = src.charCodeAt(p);
    switch (c) {
      case NL:
        this.nextLine(p + 1);
        return this.parseIndented(parentIndent, !compact, indicatorEnd);
      case HASH: {
        const nl = src.indexOf('\n', p);
        this.nextLine(nl < 0 ? this.len : nl + 1);
        return this.parseIndented(parentIndent, !compact, indicatorEnd);
      }
      case DASH:
        if (this.isSepOrEnd(p + 1)) {
          if (!compact) throw BAIL;
          return this.parseBlockSeq(p - this.lineStart, p);
        }
        return this.parsePlain(p, parentIndent, compact, atLineStart && this.skippedComment);
      case DQUOTE:
      case SQUOTE: {
        const end = this.scanQuoted(p, c, parentIndent);
        let q = end + 1;
        while (src.charCodeAt(q) === SPACE) q++;
        if (src.charCodeAt(q) === COLON && this.isSepOrEnd(q + 1)) {
          if (!compact || this.quotedMultiline) throw BAIL;
          return this.parseBlockMap(p - this.lineStart, p);
        }
        const value = this.quotedValue(p, end, c);
        this.finishLine(end + 1);
        return value;
      }
      case LBRACKET:
      case LBRACE: {
        const value = this.parseFlow(p);
        this.finishLine(this.flowEnd);
        return value;
      }
      case PIPE:
      case GT:
        if (atLineStart) throw BAIL;
        return this.parseBlockScalar(p, parentIndent, c === GT);
      case TAB:
      case BANG:
      case PERCENT:
      case AMP:
      case STAR:
      case COMMA:
      case COLON:
      case QMARK:
      case AT:
      case RBRACKET:
      case BACKTICK:
      case RBRACE:
        throw BAIL;
      default:
        return this.parsePlain(p, parentIndent, compact, atLineStart && this.skippedComment);
    }
  }

  /** The value of `key:` or `-` that ends its line: a node on the following, more indented lines. */
  private parseIndented(parentIndent: number, isMapValue: boolean, indicatorEnd: number): unknown {
    if (this.indent > parentIndent) return this.parseValue(this.content, parentIndent, true, true);
    // `key:` followed by `- item` lines at the key's own column (how kubectl prints lists).
    if (isMapValue && this.indent === parentIndent && this.src.charCodeAt(this.content) === DASH && this.isSepOrEnd(this.content + 1)) {
      return this.parseBlockSeq(this.indent, this.content);
    }
    this.emptyEnd = indicatorEnd;
    return null;
  }

  private parseBlockSeq(indent: number, p: number): unknown[] {
    const src = this.src;
    const items: unknown[] = [];
    if (++this.depth > MAX_DEPTH) throw BAIL;
    for (;;) {
      items.push(this.parseValue(p + 1, indent, true, false));
      if (this.indent === indent) {
        p = this.content;
        if (src.charCodeAt(p) === DASH && this.isSepOrEnd(p + 1)) continue;
        break; // a mapping at the same column continues (`key:` then `- item` lines)
      }
      if (this.indent > indent) throw BAIL;
      break;
    }
    this.depth--;
    return items;
  }

  private parseBlockMap(indent: number, p: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    if (++this.depth > MAX_DEPTH) throw BAIL;
    for (;;) {
      const key = this.scanKey(p);
      // A repeated JS key is either a duplicate-key error or a `yaml` overwrite; let `yaml` decide.
      if (key === '__proto__' || Object.hasOwn(map, key)) throw BAIL;
      map[key] = this.parseValue(this.scanStop + 1, indent, false, false);
      if (this.indent === indent) {
        p = this.content;
        continue;
      }
      if (this.indent > indent) throw BAIL;
      this.depth--;
      return map;
    }
  }

  /** A one-line implicit key at `p` up to its `:`; sets `scanStop` to the colon. Not a key: bail. */
  private scanKey(p: number): string {
    const src = this.src;
    const c = src.charCodeAt(p);
    const start = Math.min(p, this.emptyEnd);
    this.emptyEnd = Infinity;
    if (c === DQUOTE || c === SQUOTE) {
      const end = this.scanQuoted(p, c, -1);
      if (this.quotedMultiline) throw BAIL;
      let q = end + 1;
      while (src.charCodeAt(q) === SPACE) q++;
      if (src.charCodeAt(q) !== COLON || !this.isSepOrEnd(q + 1)) throw BAIL;
      this.scanStop = q;
      if (q - start > MAX_IMPLICIT_KEY_CHARS) throw BAIL;
      return this.quotedValue(p, end, c);
    }
    if (!this.isPlainStart(p)) throw BAIL;
    if (this.scanPlain(p) !== PLAIN_KEY || this.scanStop - start > MAX_IMPLICIT_KEY_CHARS) throw BAIL;
    return keyString(resolvePlain(src.slice(p, this.scanEnd)));
  }

  /** A plain scalar may start here in block context (the subset is stricter than YAML). */
  private isPlainStart(p: number): boolean {
    const c = this.src.charCodeAt(p);
    switch (c) {
      case DASH:
        return !this.isSepOrEnd(p + 1);
      case TAB:
      case NL:
      case SPACE:
      case BANG:
      case DQUOTE:
      case HASH:
      case PERCENT:
      case AMP:
      case SQUOTE:
      case STAR:
      case COMMA:
      case COLON:
      case GT:
      case QMARK:
      case AT:
      case LBRACKET:
      case RBRACKET:
      case BACKTICK:
      case LBRACE:
      case PIPE:
      case RBRACE:
        return false;
      default:
        return p < this.len;
    }
  }

  /**
   * Scan a block-context plain scalar from `p` to the end of its line: stops at the line break, at
   * ` #`, or at `: ` (an implicit key). Sets `scanEnd` (after the last non-space character) and
   * `scanStop` (the break, `#` or `:`).
   */
  private scanPlain(p: number): PlainStop {
    const src = this.src;
    const len = this.len;
    let i = p;
    let end = p;
    for (;;) {
      if (i >= len) {
        this.scanEnd = end;
        this.scanStop = len;
        return PLAIN_EOL;
      }
      const c = src.charCodeAt(i);
      if (c === NL) {
        this.scanEnd = end;
        this.scanStop = i;
        return PLAIN_EOL;
      }
      if (c === SPACE) {
        i++;
        continue;
      }
      if (c === TAB) throw BAIL;
      if (c === HASH && src.charCodeAt(i - 1) === SPACE) {
        this.scanEnd = end;
        this.scanStop = i;
        return PLAIN_COMMENT;
      }
      if (c === COLON && this.isSepOrEnd(i + 1)) {
        this.scanEnd = end;
        this.scanStop = i;
        return PLAIN_KEY;
      }
      i++;
      end = i;
    }
  }

  /**
   * A plain scalar value at `p`, or the first key of a compact mapping when `compact`.
   * `afterComment`: the scalar starts a line reached past a comment line. `yaml` (2.9) then folds
   * the next line into the scalar whatever its indentation (`a:\n\n#\n  word\nkk: 1` gives
   * `{a: {'word kk': 1}}` and an error; `- \n\n#\n  w\n- kk` gives `['w - kk']`), so such a
   * scalar must be the document's last node.
   */
  private parsePlain(p: number, parentIndent: number, compact: boolean, afterComment: boolean): unknown {
    const value = this.parsePlainLines(p, parentIndent, compact);
    if (afterComment && !this.eof && !this.marker && (value === null || typeof value !== 'object')) throw BAIL;
    return value;
  }

  private parsePlainLines(p: number, parentIndent: number, compact: boolean): unknown {
    const src = this.src;
    const stop = this.scanPlain(p);
    if (stop === PLAIN_KEY) {
      if (!compact) throw BAIL;
      return this.parseBlockMap(p - this.lineStart, p);
    }
    let text = src.slice(p, this.scanEnd);
    if (stop === PLAIN_COMMENT) {
      this.finishLine(this.scanEnd);
      return resolvePlain(text);
    }
    // Continuation lines, more indented than the parent, fold into one value (unfoldLines).
    let lineEnd = this.scanStop;
    let blanks = 0;
    let next = lineEnd + 1; // start of the first line not consumed
    while (lineEnd < this.len) {
      const ls = lineEnd + 1;
      let q = ls;
      while (src.charCodeAt(q) === SPACE) q++;
      if (q >= this.len) break;
      const c = src.charCodeAt(q);
      if (c === NL) {
        blanks++;
        lineEnd = q;
        continue;
      }
      if (c === TAB) throw BAIL;
      if (c === HASH || q - ls <= parentIndent || (q === ls && this.isMarkerAt(q))) break;
      if (!this.isPlainStart(q) || c === DASH) throw BAIL;
      const stop = this.scanPlain(q);
      if (stop === PLAIN_KEY) throw BAIL;
      text += (blanks === 0 ? ' ' : '\n'.repeat(blanks)) + src.slice(q, this.scanEnd);
      blanks = 0;
      if (stop === PLAIN_COMMENT) {
        // A comment ends the scalar; a more indented line after it is the parent's error.
        this.finishLine(this.scanEnd);
        return resolvePlain(text);
      }
      lineEnd = this.scanStop;
      next = lineEnd + 1;
    }
    this.nextLine(next);
    return resolvePlain(text);
  }

  /**
   * Find the closing quote of a quoted scalar opened at `p`; continuation lines must be indented
   * more than `parentIndent` and not be document markers. Sets `quotedMultiline`/`quotedEscape`.
   */
  private scanQuoted(p: number, quote: number, parentIndent: number): number {
    const src = this.src;
    const len = this.len;
    let multiline = false;
    let escape = false;
    let i = p + 1;
    for (;;) {
      if (i >= len) throw BAIL;
      const c = src.charCodeAt(i);
      if (c === quote) {
        if (quote === SQUOTE && src.charCodeAt(i + 1) === SQUOTE) {
          escape = true;
          i += 2;
          continue;
        }
        this.quotedMultiline = multiline;
        this.quotedEscape = escape;
        return i;
      }
      if (c === BACKSLASH && quote === DQUOTE) {
        escape = true;
        if (src.charCodeAt(i + 1) !== NL) {
          i += 2;
          continue;
        }
        i++;
      } else if (c !== NL) {
        i++;
        continue;
      }
      // A line break inside the scalar: check the next line's indentation.
      multiline = true;
      const ls = i + 1;
      let q = ls;
      while (src.charCodeAt(q) === SPACE) q++;
      const d = src.charCodeAt(q);
      if (d === TAB) throw BAIL;
      if (q < len && d !== NL) {
        if (q - ls <= parentIndent || q === ls) throw BAIL;
      }
      i = q;
    }
  }

  private quotedValue(p: number, end: number, quote: number): string {
    const src = this.src;
    if (!this.quotedMultiline && !this.quotedEscape) return src.slice(p + 1, end);
    if (quote === DQUOTE) return doubleQuotedValue(src.slice(p, end + 1));
    return unfoldLines(src.slice(p + 1, end)).replace(/''/g, "'");
  }

  /** A flow collection that closes on its own line: `[a, b]`, `{a: 1, b: x}`, nested, or empty. */
  private parseFlow(p: number): unknown {
    const value = this.parseFlowCollection(p);
    this.depth--;
    return value;
  }

  private parseFlowCollection(p: number): unknown {
    const src = this.src;
    if (++this.depth > MAX_DEPTH) throw BAIL;
    if (src.charCodeAt(p) === LBRACKET) {
      const items: unknown[] = [];
      let i = this.skipSpaces(p + 1);
      if (src.charCodeAt(i) === RBRACKET) {
        this.flowEnd = i + 1;
        return items;
      }
      for (;;) {
        items.push(this.parseFlowItem(i));
        i = this.skipSpaces(this.flowEnd);
        const c = src.charCodeAt(i);
        if (c === COMMA) {
          i = this.skipSpaces(i + 1);
          if (src.charCodeAt(i) === RBRACKET) throw BAIL;
          continue;
        }
        if (c === RBRACKET) {
          this.flowEnd = i + 1;
          return items;
        }
        throw BAIL;
      }
    }
    const map: Record<string, unknown> = {};
    let i = this.skipSpaces(p + 1);
    if (src.charCodeAt(i) === RBRACE) {
      this.flowEnd = i + 1;
      return map;
    }
    for (;;) {
      let key: string;
      const c = src.charCodeAt(i);
      if (c === DQUOTE || c === SQUOTE) {
        const end = this.scanQuoted(i, c, -1);
        if (this.quotedMultiline) throw BAIL;
        key = this.quotedValue(i, end, c);
        i = this.skipSpaces(end + 1);
        if (src.charCodeAt(i) !== COLON) throw BAIL;
      } else {
        const end = this.scanFlowPlain(i);
        if (src.charCodeAt(this.flowEnd) !== COLON) throw BAIL;
        key = keyString(resolvePlain(src.slice(i, end)));
        i = this.flowEnd;
      }
      if (src.charCodeAt(i + 1) !== SPACE) throw BAIL;
      if (key === '__proto__' || Object.hasOwn(map, key)) throw BAIL;
      map[key] = this.parseFlowItem(this.skipSpaces(i + 1));
      i = this.skipSpaces(this.flowEnd);
      const d = src.charCodeAt(i);
      if (d === COMMA) {
        i = this.skipSpaces(i + 1);
        if (src.charCodeAt(i) === RBRACE) throw BAIL;
        continue;
      }
      if (d === RBRACE) {
        this.flowEnd = i + 1;
        return map;
      }
      throw BAIL;
    }
  }

  private skipSpaces(p: number): number {
    while (this.src.charCodeAt(p) === SPACE) p++;
    return p;
  }

  /** A scalar or nested collection inside a flow collection; sets `flowEnd` after it. */
  private parseFlowItem(i: number): unknown {
    const src = this.src;
    const c = src.charCodeAt(i);
    if (c === LBRACKET || c === LBRACE) return this.parseFlow(i);
    if (c === DQUOTE || c === SQUOTE) {
      const end = this.scanQuoted(i, c, -1);
      if (this.quotedMultiline) throw BAIL;
      this.flowEnd = end + 1;
      return this.quotedValue(i, end, c);
    }
    const end = this.scanFlowPlain(i);
    if (src.charCodeAt(this.flowEnd) === COLON) throw BAIL;
    return resolvePlain(src.slice(i, end));
  }

  /**
   * A plain scalar inside a flow collection: stops before `,`, a bracket or a `:` that indicates a
   * value (sets `flowEnd` to that character) and returns the end after its last non-space
   * character. Line breaks and `#` inside it are outside the subset.
   */
  private scanFlowPlain(p: number): number {
    const src = this.src;
    if (!this.isPlainStart(p)) throw BAIL;
    if (src.charCodeAt(p) === DASH) {
      const n = src.charCodeAt(p + 1);
      if (n === COMMA || n === RBRACKET || n === RBRACE || n === LBRACKET || n === LBRACE) throw BAIL;
    }
    let i = p;
    let end = p;
    for (;;) {
      if (i >= this.len) throw BAIL;
      const c = src.charCodeAt(i);
      switch (c) {
        case COMMA:
        case LBRACKET:
        case RBRACKET:
        case LBRACE:
        case RBRACE:
          this.flowEnd = i;
          return end;
        case COLON: {
          // As in `yaml`'s lexer: `:` ends a flow plain scalar only before white space or a flow
          // indicator, so `{cidr: 2001:db8::/32}` keeps its colons.
          const n = src.charCodeAt(i + 1);
          if (n === TAB) throw BAIL;
          if (i + 1 >= this.len || n === SPACE || n === NL || n === COMMA || n === LBRACKET || n === RBRACKET || n === LBRACE || n === RBRACE) {
            this.flowEnd = i;
            return end;
          }
          i++;
          end = i;
          continue;
        }
        case NL:
        case TAB:
        case HASH:
          throw BAIL;
        case SPACE:
          i++;
          continue;
        default:
          i++;
          end = i;
      }
    }
  }

  /**
   * `|`, `|-`, `>`, `>-` with content indentation taken from the first non-empty line (explicit
   * indentation indicators and `+` keep chomping are outside the subset).
   */
  private parseBlockScalar(p: number, parentIndent: number, folded: boolean): string {
    const src = this.src;
    const len = this.len;
    let i = p + 1;
    let strip = false;
    if (src.charCodeAt(i) === DASH) {
      strip = true;
      i++;
    }
    if (i < len && !this.isWs(i)) throw BAIL;
    while (src.charCodeAt(i) === SPACE) i++;
    if (src.charCodeAt(i) === HASH) {
      if (src.charCodeAt(i - 1) !== SPACE) throw BAIL;
      const nl = src.indexOf('\n', i);
      i = nl < 0 ? len : nl;
    } else if (i < len && src.charCodeAt(i) !== NL) throw BAIL;
    if (i >= len) throw BAIL;
    // Leading empty lines; more spaces on them than on the first content line is an error.
    let ls = i + 1;
    let leading = 0;
    let maxBlank = 0;
    let q: number;
    for (;;) {
      q = ls;
      while (src.charCodeAt(q) === SPACE) q++;
      if (q >= len) throw BAIL;
      if (src.charCodeAt(q) !== NL) break;
      leading++;
      if (q - ls > maxBlank) maxBlank = q - ls;
      ls = q + 1;
    }
    const contentIndent = q - ls;
    if (contentIndent <= parentIndent || maxBlank > contentIndent || src.charCodeAt(q) === TAB) throw BAIL;
    let value = leading > 0 ? '\n'.repeat(leading) : '';
    let sep = '';
    let blanks = 0;
    let prevMoreIndented = false;
    for (;;) {
      q = ls;
      while (src.charCodeAt(q) === SPACE) q++;
      if (q >= len || src.charCodeAt(q) === NL) {
        // Empty lines count only if content follows; more-indented ones are outside the subset.
        if (q - ls > contentIndent) throw BAIL;
        if (q >= len) {
          this.nextLine(len);
          break;
        }
        blanks++;
        ls = q + 1;
        continue;
      }
      const c = src.charCodeAt(q);
      if (q - ls < contentIndent) {
        if (c === TAB) throw BAIL;
        this.nextLine(ls);
        break;
      }
      if (c === TAB) throw BAIL;
      let eol = src.indexOf('\n', q);
      if (eol < 0) eol = len;
      if (!folded) {
        value += sep + (blanks > 0 ? '\n'.repeat(blanks) : '') + src.slice(ls + contentIndent, eol);
        sep = '\n';
      } else {
        // resolve-block-scalar.js, folded branch: empty lines first, then this line.
        for (; blanks > 0; blanks--) {
          if (sep === '\n') value += '\n';
          else sep = '\n';
        }
        if (q - ls > contentIndent) {
          if (sep === ' ') sep = '\n';
          else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
          value += sep + src.slice(ls + contentIndent, eol);
          sep = '\n';
          prevMoreIndented = true;
        } else {
          value += sep + src.slice(q, eol);
          sep = ' ';
          prevMoreIndented = false;
        }
      }
      blanks = 0;
      if (eol >= len) {
        this.nextLine(len);
        break;
      }
      ls = eol + 1;
    }
    return strip ? value : value + '\n';
  }
}

/**
 * Every document of a multi-document YAML text as plain JS values, exactly as `yaml` would give
 * them, or `null` when the text is outside the fast subset or invalid (re-parse it with `yaml`).
 */
export function parseYamlFast(text: string): unknown[] | null {
  // Control characters, a BOM anywhere, C1 controls and noncharacters: leave them to `yaml`.
  let hasCr = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < SPACE) {
      if (c === NL || c === TAB) continue;
      if (c === 13 && text.charCodeAt(i + 1) === NL) {
        hasCr = true;
        continue;
      }
      return null;
    }
    if (c >= 0x7f && (c <= 0x9f || c === 0xfeff || c === 0xfffe || c === 0xffff)) return null;
  }
  // `yaml` treats CRLF as LF everywhere, including inside block and quoted scalars.
  const src = hasCr ? text.replace(/\r\n/g, '\n') : text;
  try {
    return new FastYamlParser(src).parseStream();
  } catch (error) {
    if (error === BAIL || error instanceof RangeError) return null;
    throw error;
  }
}
