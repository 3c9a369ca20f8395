/**
 * Did a connection work? `advise` allows only the ones that did (docs/advise.md "What counts as
 * a working connection"), read from the answer bits the dataplane keeps per flow
 * (dataplane/flow-answer.ts):
 * - TCP worked when the server sent a SYN-ACK, or, for a connection the capture picked up
 *   mid-stream (no SYN seen), when the server sent any segment that is not a RST: a host with no
 *   connection answers every segment with a RST (RFC 9293 §3.10.7.1). A SYN that got a RST, an
 *   ICMP destination unreachable or nothing was refused.
 * - SCTP alike: INIT ACK, or a packet that is not an ABORT for an association picked up later.
 * - UDP, ICMP echo and other protocols worked when a packet came back from the destination; an
 *   ICMP destination unreachable or silence is a refusal. One-way UDP (syslog, statsd) is silent
 *   by design: allowed only with `--allow-unanswered-udp`.
 */
import { FlowAnswer } from '../../dataplane/flow-answer.js';

export const ANSWER_KINDS = ['handshake', 'mid-stream', 'reply', 'one-way', 'reset', 'unreachable', 'no-handshake', 'no-answer'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

/** Kinds of a connection that worked (the rest are refusals). */
const WORKED: ReadonlySet<AnswerKind> = new Set<AnswerKind>(['handshake', 'mid-stream', 'reply', 'one-way']);

export function answerWorked(kind: AnswerKind): boolean {
  return WORKED.has(kind);
}

export interface AnswerOptions {
  /** UDP that got no answer at all (no reply, no ICMP error) counts as working (`one-way`). */
  readonly allowUnansweredUdp?: boolean;
}

/** The kind of answer a flow of `protocol` got, from its FlowAnswer bits. */
export function classifyAnswer(protocol: number, bits: number, options: AnswerOptions = {}): AnswerKind {
  const has = (bit: number): boolean => (bits & bit) !== 0;
  if (protocol === 6 || protocol === 132) {
    if (has(FlowAnswer.HANDSHAKE)) return 'handshake';
    if (has(FlowAnswer.REPLY) && (!has(FlowAnswer.OPENING) || (protocol === 6 && has(FlowAnswer.REPLY_DATA)))) return 'mid-stream';
    if (has(FlowAnswer.RESET)) return 'reset';
    if (has(FlowAnswer.UNREACHABLE)) return 'unreachable';
    return has(FlowAnswer.REPLY) ? 'no-handshake' : 'no-answer';
  }
  if (has(FlowAnswer.REPLY)) return 'reply';
  if (has(FlowAnswer.UNREACHABLE)) return 'unreachable';
  return protocol === 17 && options.allowUnansweredUdp === true ? 'one-way' : 'no-answer';
}

/** Why, in a few words, for reports and comments. */
export function describeAnswer(kind: AnswerKind, protocol: number, family: 4 | 6): string {
  const icmp = family === 6 ? 'ICMPv6' : 'ICMP';
  switch (kind) {
    case 'handshake':
      return protocol === 132 ? 'answered by INIT ACK' : 'answered by SYN-ACK';
    case 'mid-stream':
      return 'picked up mid-stream, answered without a reset';
    case 'reply':
      return 'a reply came back';
    case 'one-way':
      return 'one-way UDP, no answer (--allow-unanswered-udp)';
    case 'reset':
      return protocol === 132 ? 'refused: answered by ABORT' : 'refused: answered by RST';
    case 'unreachable':
      return `refused: answered by ${icmp} destination unreachable`;
    case 'no-handshake':
      return 'refused: the handshake was never accepted';
    case 'no-answer':
      return 'refused: no answer';
  }
}
