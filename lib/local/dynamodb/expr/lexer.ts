import { validation } from '../errors.js';

export type TokenKind = 'name' | 'hashName' | 'value' | 'number' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly at: number;
}

/** Which expression parameter an error is about: DynamoDB names it in every message. */
export type ExpressionKind = 'ConditionExpression' | 'FilterExpression' | 'KeyConditionExpression' | 'UpdateExpression' | 'ProjectionExpression';

const PUNCT = ['<>', '<=', '>=', '(', ')', '[', ']', '.', ',', '=', '<', '>', '+', '-'];

/** Splits an expression into tokens; a character DynamoDB's grammar does not know is a syntax error. */
export function tokenize(text: string, kind: ExpressionKind): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (c === '#' || c === ':') {
      i++;
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      if (i === start + 1) throw syntaxError(kind, c, text.slice(Math.max(0, start - 5), start + 5));
      tokens.push({ kind: c === '#' ? 'hashName' : 'value', text: text.slice(start, i), at: start });
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      tokens.push({ kind: 'name', text: text.slice(start, i), at: start });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < text.length && /[0-9]/.test(text[i]!)) i++;
      tokens.push({ kind: 'number', text: text.slice(start, i), at: start });
      continue;
    }
    const punct = PUNCT.find((p) => text.startsWith(p, i));
    if (!punct) throw validation(`Invalid ${kind}: Invalid token ${JSON.stringify(c)} at position ${i}; the expression was: ${text}`);
    tokens.push({ kind: 'punct', text: punct, at: start });
    i += punct.length;
  }
  tokens.push({ kind: 'eof', text: '<EOF>', at: text.length });
  return tokens;
}

export function syntaxError(kind: ExpressionKind, token: string, near: string) {
  return validation(`Invalid ${kind}: Syntax error; token: "${token}", near: "${near}"`);
}
