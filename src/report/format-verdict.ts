/** A flow verdict as text (for people) and as JSON (for scripts). */
import type { IpAddress, Pod } from '../../compiler/model.js';
import { DIRECTION_REASON_TEXT, DirectionReason, REASON_NAME, formatRuleRef, type RuleRef } from '../../compiler/verdict.js';
import type { DirectionVerdict, Flow, FlowVerdict } from '../naive/naive-evaluator.js';
import { hasPorts, protocolName } from '../replay/name-protocol.js';

function podName(pod: Pod | null): string | null {
  return pod ? `${pod.namespace}/${pod.name}` : null;
}

function describeEnd(ip: IpAddress, pod: Pod | null): string {
  return pod ? `${pod.namespace}/${pod.name} (${ip.text})` : ip.text;
}

function ruleJson(rule: RuleRef | null): object | null {
  if (!rule) return null;
  if (rule.policyKind !== undefined) {
    return {
      policy: `${rule.policyKind}/${rule.policyName}`,
      kind: rule.policyKind,
      tier: rule.tier,
      priority: rule.priority,
      action: rule.action,
      ruleName: rule.ruleName ?? null,
      direction: rule.direction,
      rule: rule.ruleIndex,
      peer: rule.peerIndex,
      port: rule.portIndex,
      text: formatRuleRef(rule),
    };
  }
  return {
    policy: `${rule.policyNamespace}/${rule.policyName}`,
    direction: rule.direction,
    rule: rule.ruleIndex,
    peer: rule.peerIndex,
    port: rule.portIndex,
    text: formatRuleRef(rule),
  };
}

function directionJson(verdict: DirectionVerdict): object {
  return {
    pod: podName(verdict.pod),
    allowed: verdict.allowed,
    reason: DIRECTION_REASON_TEXT[verdict.reason],
    isolatedBy: verdict.isolatedBy,
    rule: ruleJson(verdict.rule),
    // Only with cluster-scoped policies, so outputs without them keep their exact shape.
    ...(verdict.passedBy ? { passedBy: ruleJson(verdict.passedBy) } : {}),
  };
}

export function verdictJson(flow: Flow, verdict: FlowVerdict): object {
  return {
    allowed: verdict.allowed,
    reason: REASON_NAME[verdict.reason],
    src: { ip: flow.src.text, pod: podName(verdict.srcPod) },
    dst: { ip: flow.dst.text, pod: podName(verdict.dstPod) },
    protocol: protocolName(flow.protocol),
    port: hasPorts(flow.protocol) ? flow.dstPort : null,
    egress: directionJson(verdict.egress),
    ingress: directionJson(verdict.ingress),
  };
}

function directionLine(verdict: DirectionVerdict): string[] {
  const where = verdict.pod ? `at ${podName(verdict.pod)}` : verdict.direction === 'egress' ? 'at the source' : 'at the destination';
  const label = `${verdict.direction.padEnd(7)} ${where}: `;
  let text: string;
  switch (verdict.reason) {
    case DirectionReason.RULE:
      text = `allowed by ${formatRuleRef(verdict.rule as RuleRef)}`;
      break;
    case DirectionReason.NO_RULE_MATCHED:
      text = `DENIED: isolated and no rule matched (default deny)`;
      break;
    case DirectionReason.NOT_A_POD:
      text = `not a pod endpoint: no ${verdict.direction} policy applies`;
      break;
    case DirectionReason.NOT_ISOLATED:
      text = verdict.passedBy ? `allowed: passed on, and no NetworkPolicy or baseline rule decides (default allow)` : `allowed: no policy selects the pod for ${verdict.direction}`;
      break;
    case DirectionReason.LOCAL_NODE:
      text = verdict.direction === 'ingress' ? `allowed: traffic from the pod's own node is always allowed` : `allowed: this CNI does not police traffic to the pod's own node`;
      break;
    case DirectionReason.NOT_ENFORCED:
      text = `allowed: this CNI enforces no NetworkPolicy`;
      break;
    case DirectionReason.SELF:
      text = `allowed: a pod cannot block traffic to itself`;
      break;
    case DirectionReason.ADMIN_ALLOW:
      text = `allowed by ${formatRuleRef(verdict.rule as RuleRef)} (admin tier: final)`;
      break;
    case DirectionReason.ADMIN_DENY:
      text = `DENIED by ${formatRuleRef(verdict.rule as RuleRef)} (admin tier: final)`;
      break;
    case DirectionReason.BASELINE_ALLOW:
      text = `allowed by ${formatRuleRef(verdict.rule as RuleRef)} (baseline tier: no NetworkPolicy isolates the pod)`;
      break;
    case DirectionReason.BASELINE_DENY:
      text = `DENIED by ${formatRuleRef(verdict.rule as RuleRef)} (baseline tier: no NetworkPolicy isolates the pod)`;
      break;
  }
  const lines = [`  ${label}${text}`];
  if (verdict.passedBy) lines.push(`  ${' '.repeat(label.length)}passed on by: ${formatRuleRef(verdict.passedBy)}`);
  if (verdict.isolatedBy.length > 0) lines.push(`  ${' '.repeat(label.length)}isolated by: ${verdict.isolatedBy.join(', ')}`);
  return lines;
}

export function verdictText(flow: Flow, verdict: FlowVerdict): string {
  const what = hasPorts(flow.protocol) ? `${protocolName(flow.protocol)}/${flow.dstPort}` : protocolName(flow.protocol);
  const lines = [
    `${verdict.allowed ? 'ALLOWED' : 'DENIED'}  ${describeEnd(flow.src, verdict.srcPod)} -> ${describeEnd(flow.dst, verdict.dstPod)} ${what}`,
    ...directionLine(verdict.egress),
    ...directionLine(verdict.ingress),
    `  reason: ${REASON_NAME[verdict.reason]}`,
  ];
  return `${lines.join('\n')}\n`;
}
