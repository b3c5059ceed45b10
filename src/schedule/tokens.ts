// Request tokens: run-now (schedule-operator.io/run-requested-at) and resume (schedule-operator.io/resume-requested-at)
// ask for something once per new value, GitOps-safe: re-applying the same value does nothing. One rule decides
// what a token may look like (the webhook refuses others at kubectl apply; the operator refuses them in status
// when the webhook was bypassed) and what status records as handled.
import { createHash } from 'node:crypto';
import { ANNOTATION_RESUME_REQUESTED_AT, ANNOTATION_RUN_REQUESTED_AT } from '../api/schedule.js';

/**
 * MAX_TOKEN_LENGTH: a request token (run-requested-at, resume-requested-at) is at most this many printable
 * characters - room for any timestamp or commit id, and the length of a DNS name, so it fits everywhere it is
 * copied (status, an Event, the Job's annotation).
 */
export const MAX_TOKEN_LENGTH = 253;

/** The command that sets each token annotation, named in the fix. */
const TOKEN_COMMANDS: Record<string, string> = { [ANNOTATION_RUN_REQUESTED_AT]: 'run', [ANNOTATION_RESUME_REQUESTED_AT]: 'resume' };

// Control characters (newline, tab, NUL, DEL, C1), format characters (bidi overrides, zero-width) and the
// Unicode line and paragraph separators: they break one-line messages and logs, or hide what a token says.
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;

/**
 * requestTokenProblem is the one token rule, for the webhook (refused at kubectl apply) and the operator (the
 * request is refused in status when the webhook was bypassed): undefined for a good token, else a message that
 * names the annotation and the fix. An empty value is no request at all and is not judged here.
 */
export function requestTokenProblem(annotation: string, token: string): string | undefined {
  const command = TOKEN_COMMANDS[annotation] ?? 'run';
  const fix = `set it to a new, short value such as the current time in RFC 3339 (\`schedule-operator ${command} <name>\` does that)`;
  const where = `metadata.annotations["${annotation}"]`;
  let length = 0;
  for (const _ of token) if (++length > MAX_TOKEN_LENGTH) break;
  if (length > MAX_TOKEN_LENGTH) {
    return `${where}: the token is ${token.length} characters long; a token is at most ${MAX_TOKEN_LENGTH} printable characters: ${fix}`;
  }
  const bad = UNPRINTABLE.exec(token);
  if (bad) {
    const code = bad[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0');
    return `${where}: the token contains the unprintable character U+${code} at position ${bad.index}; a token is at most ${MAX_TOKEN_LENGTH} printable characters (no newlines, tabs or other control characters): ${fix}`;
  }
  return undefined;
}

/**
 * handledTokenKey is what status records as handled for a token: the token itself, or for a refused bad token
 * a fingerprint ("sha256:<hex>"), so status never copies 10 KiB or control characters, yet the same bad token
 * is not refused again on every pass.
 */
export function handledTokenKey(annotation: string, token: string): string {
  if (requestTokenProblem(annotation, token) === undefined) return token;
  return `sha256:${createHash('sha256').update(token).digest('hex')}`;
}

/** pendingToken is an annotation's token when it asks for something not yet handled (status records `handled`). */
export function pendingToken(annotation: string, token: string | undefined, handled: string | undefined): string | undefined {
  if (!token || token === handled || (handled?.startsWith('sha256:') && handledTokenKey(annotation, token) === handled)) return undefined;
  return token;
}
