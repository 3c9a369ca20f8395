/**
 * The kernel check of one capture: the emulator replays it under the renderer's profile, the
 * rendering is loaded into a fresh lab, every sendable frame goes in from its source's namespace
 * in capture order, and the two verdicts are compared frame by frame. Any KernelRuleset shape
 * plugs in: a renderer is its shape, its profile and a function of the compiled tables.
 *
 * With a timeline (`--timeline`), the cluster of each policy version is rendered too and loaded
 * between the frames where the emulator switched versions (Lab.reload: the changed chains and
 * sets are replaced, conntrack keeps its entries), so established connections meet the new rules
 * the way the kernel treats them.
 *
 * When they disagree, the capture is sent again into a second, fresh lab, pausing at each of
 * the first disagreeing frames to zero the rule counters before it and read them after it, so
 * the report shows the kernel rules that frame went through (the barrier frame behind it adds one
 * packet to the hook and the dispatch jumps).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Cluster } from '../../compiler/model.js';
import type { CompiledTables } from '../../compiler/tables.js';
import type { CniProfileName, KernelLoader, KernelRuleset, KernelRulesetShape } from '../../src/index.js';
import { compile, policySemantics, resolveProfile, restrictToProfile } from '../../src/index.js';
import { isEndpoint } from '../../compiler/intern-identities.js';
import { PacketCategory } from '../../dataplane/packet-category.js';
import { Lab, macBytes, PROBE_ADDRESS, SINK_ADDRESS, type LabEndpoint } from './build-lab.js';
import { categoryName, emulateCapture, type EmulatedFrame, type EmulateOptions } from './emulate-capture.js';
import { barrierFrame, encodeJobFile, ethernetFrame, type FrameJob } from './prepare-frames.js';
import { sendFrames } from './send-frames.js';

export interface KernelRenderer {
  readonly shape: KernelRulesetShape;
  /** The `--cni` profile the emulator replays under; the rendering must name the same one. */
  readonly profile: CniProfileName;
  render(tables: CompiledTables): KernelRuleset;
}

export interface Disagreement {
  /** 1-based, as Wireshark numbers frames. */
  readonly frame: number;
  readonly packet: string;
  readonly emulator: string;
  readonly kernel: 'delivered' | 'dropped';
  /** Rule counters the frame moved in the kernel (the first disagreements only). */
  counters: string | null;
}

export interface KernelCheckResult {
  readonly capture: string;
  readonly shape: KernelRulesetShape;
  readonly profile: CniProfileName;
  readonly frames: number;
  readonly compared: number;
  readonly kernelDelivered: number;
  readonly kernelDropped: number;
  /** Frames not sent to the kernel, by reason. */
  readonly skipped: ReadonlyMap<string, number>;
  /** Policy versions loaded (1 without a timeline). */
  readonly versions: number;
  /**
   * Frames of connections conntrack already knew, sent after a policy change and delivered by
   * the kernel: what `reevaluateEstablished` is about (the emulator agreed on each, or it is a
   * disagreement).
   */
  readonly establishedAfterChange: number;
  readonly disagreements: readonly Disagreement[];
}

export interface CheckOptions extends EmulateOptions {
  /** Disagreements explained with the kernel's rule counters (default 10). */
  readonly counterDetails?: number;
}

const PROTOCOL_NAME: Readonly<Record<number, string>> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6', 132: 'SCTP' };
const TCP_FLAG_LETTERS = ['F', 'S', 'R', 'P', '.', 'U', 'E', 'C'];

/** One line for a frame: protocol, addresses, ports or ICMP type, TCP flags. */
export function describeFrame(f: EmulatedFrame): string {
  const name = PROTOCOL_NAME[f.protocol] ?? `proto ${f.protocol}`;
  const d = f.datagram;
  const l4 = f.l4Offset;
  const join = (a: string, port: string): string => (f.ipVersion === 6 ? `[${a}]${port}` : `${a}${port}`);
  if (!d || l4 < 0 || l4 + 4 > d.length) return `${name} ${f.src} > ${f.dst}`;
  if (f.protocol === 1 || f.protocol === 58) return `${name} ${f.src} > ${f.dst} type ${d[l4]} code ${d[l4 + 1]}`;
  const sport = `:${((d[l4] as number) << 8) | (d[l4 + 1] as number)}`;
  const dport = `:${((d[l4 + 2] as number) << 8) | (d[l4 + 3] as number)}`;
  let flags = '';
  if (f.protocol === 6 && l4 + 14 <= d.length) flags = ` [${TCP_FLAG_LETTERS.filter((_, bit) => ((d[l4 + 13] as number) >> bit) & 1).join('')}]`;
  return `${name} ${join(f.src, sport)} > ${join(f.dst, dport)}${flags}`;
}

/** The rows of a counter listing that counted packets, under their chain headers. */
export function touchedCounters(listing: string, loader: KernelLoader): string {
  const out: string[] = [];
  let header: string | null = null;
  for (const line of listing.split('\n')) {
    if (loader === 'nft') {
      if (/^\s*(table|chain) /.test(line)) header = line;
      const packets = /counter packets (\d+)/.exec(line);
      if (packets && Number(packets[1]) > 0) {
        if (header) out.push(header);
        header = null;
        out.push(line);
      }
      continue;
    }
    if (line.startsWith('Chain ')) {
      header = line;
      continue;
    }
    const packets = /^\s*\d+\s+(\d+)\s/.exec(line);
    if (packets && Number(packets[1]) > 0) {
      if (header) out.push(header);
      header = null;
      out.push(line);
    }
  }
  return out.join('\n');
}

interface Plan {
  readonly endpoints: LabEndpoint[];
  /** Per frame index: its job number, or -1. */
  readonly jobOf: Int32Array;
  readonly skipped: Map<string, number>;
  readonly sent: { readonly frame: EmulatedFrame; readonly src: number; readonly dst: number }[];
}

/** Namespaces for the pods (of every policy version) and every other address the frames use; which frames go in. */
function planLab(clusters: readonly Cluster[], frames: readonly EmulatedFrame[]): Plan {
  const endpoints: LabEndpoint[] = [];
  const endpointOf = new Map<string, number>();
  for (const pod of clusters.flatMap((c) => c.pods.filter(isEndpoint))) {
    const addresses = pod.ips.map((ip) => ip.text).filter((a) => !endpointOf.has(a));
    if (addresses.length === 0) continue;
    for (const a of addresses) endpointOf.set(a, endpoints.length);
    endpoints.push({ label: `pod ${pod.namespace}/${pod.name}`, addresses });
  }
  const endpointFor = (address: string): number => {
    let e = endpointOf.get(address);
    if (e === undefined) {
      if (address === PROBE_ADDRESS || address === SINK_ADDRESS) throw new Error(`the capture uses ${address}, which the lab keeps for its barrier frames`);
      e = endpoints.length;
      endpointOf.set(address, e);
      endpoints.push({ label: `address ${address}`, addresses: [address] });
    }
    return e;
  };
  const skipped = new Map<string, number>();
  const jobOf = new Int32Array(frames.length).fill(-1);
  const sent: Plan['sent'] = [];
  for (const frame of frames) {
    let skip = frame.skip;
    let src = -1;
    let dst = -1;
    if (skip === null) {
      src = endpointFor(frame.src);
      dst = endpointFor(frame.dst);
      if (src === dst) skip = 'source and destination in one namespace (never crosses the node)';
    }
    if (skip !== null) {
      skipped.set(skip, (skipped.get(skip) ?? 0) + 1);
      continue;
    }
    jobOf[frame.index] = sent.length;
    sent.push({ frame, src, dst });
  }
  return { endpoints, jobOf, skipped, sent };
}

/** Renders `cluster` for `renderer` under its own profile's semantics. */
export function renderFor(cluster: Cluster, renderer: KernelRenderer): KernelRuleset {
  const resolved = resolveProfile(renderer.profile, []);
  if (!resolved.ok) throw new Error(resolved.error);
  const ruleset = renderer.render(compile(cluster, policySemantics(resolved.profile.values)));
  if (ruleset.shape !== renderer.shape || ruleset.profile !== renderer.profile) throw new Error(`the ${renderer.shape} renderer returned a ${ruleset.shape} rendering for --cni ${ruleset.profile}`);
  return ruleset;
}

/** Sets up a lab with the first rendering loaded and the job file written; `run` sends a range of jobs. */
function withLab<T>(plan: Plan, ruleset: KernelRuleset, body: (lab: Lab, run: (start: number, end: number) => boolean[]) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'npek-'));
  const lab = new Lab(plan.endpoints);
  try {
    lab.load(ruleset);
    const jobs: FrameJob[] = plan.sent.map(({ frame, src, dst }) => ({
      src,
      dst,
      frame: ethernetFrame(frame.datagram as Uint8Array, frame.ipVersion, frame.protocol, frame.l4Offset, macBytes(lab.nodeMac(src)), macBytes(lab.endpointMac(src))),
    }));
    const barrier = barrierFrame(PROBE_ADDRESS, SINK_ADDRESS, macBytes(lab.nodeMac(lab.probe)), macBytes(lab.endpointMac(lab.probe)));
    const jobFile = join(dir, 'jobs.bin');
    writeFileSync(jobFile, encodeJobFile(lab.namespaces, lab.probe, lab.sink, barrier, jobs));
    return body(lab, (start, end) => sendFrames(jobFile, join(dir, 'results.bin'), start, end));
  } finally {
    lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function checkCapture(given: Cluster, capture: string, renderer: KernelRenderer, options: CheckOptions = {}): Promise<KernelCheckResult> {
  // As `--cni PROFILE` loads it: cluster-scoped policy kinds the CNI does not implement are left out.
  const cluster = restrictToProfile(given, renderer.profile).cluster;
  const resolved = resolveProfile(renderer.profile, []);
  if (!resolved.ok) throw new Error(resolved.error);
  const emulated = await emulateCapture(cluster, capture, resolved.profile, options);
  const rulesets = emulated.clusters.map((c) => renderFor(restrictToProfile(c, renderer.profile).cluster, renderer));
  const plan = planLab(emulated.clusters, emulated.frames);
  const versionOf = (job: number): number => (plan.sent[job] as Plan['sent'][number]).frame.version;
  /**
   * Sends jobs `from`..`to`-1, loading the rendering of each policy version before its first
   * frame; `version` is the one loaded now. Returns the verdicts and the version loaded after.
   */
  const drive = (lab: Lab, run: (start: number, end: number) => boolean[], from: number, to: number, version: number): { delivered: boolean[]; version: number } => {
    const delivered: boolean[] = [];
    let start = from;
    for (let j = from; j <= to; j++) {
      if (j < to && versionOf(j) === version) continue;
      delivered.push(...run(start, j));
      start = j;
      if (j < to) {
        version = versionOf(j);
        lab.reload(rulesets[version] as KernelRuleset);
      }
    }
    return { delivered, version };
  };
  const delivered = withLab(plan, rulesets[0] as KernelRuleset, (lab, run) => drive(lab, run, 0, plan.sent.length, 0).delivered);
  const disagreements: Disagreement[] = [];
  let kernelDelivered = 0;
  let establishedAfterChange = 0;
  plan.sent.forEach(({ frame }, j) => {
    const kernel = delivered[j] === true;
    if (kernel) kernelDelivered++;
    if (kernel && frame.version > 0 && frame.category === PacketCategory.ALLOWED_ESTABLISHED) establishedAfterChange++;
    if (kernel === frame.forwarded) return;
    const decided = emulated.deciding.get(frame.flowSeq);
    disagreements.push({
      frame: frame.index + 1,
      packet: describeFrame(frame),
      emulator: `${frame.forwarded ? 'forwarded' : 'dropped'} (${categoryName(frame.category)}${decided ? `; flow ${decided}` : ''})`,
      kernel: kernel ? 'delivered' : 'dropped',
      counters: null,
    });
  });
  const details = Math.min(options.counterDetails ?? 10, disagreements.length);
  if (details > 0) {
    const loaders = rulesets.flatMap((r) => r.parts.map((p) => p.loader));
    withLab(plan, rulesets[0] as KernelRuleset, (lab, run) => {
      let next = 0;
      let version = 0;
      for (const d of disagreements.slice(0, details)) {
        const job = plan.jobOf[d.frame - 1] as number;
        version = drive(lab, run, next, job, version).version;
        if (versionOf(job) !== version) {
          version = versionOf(job);
          lab.reload(rulesets[version] as KernelRuleset);
        }
        lab.zeroCounters(loaders);
        run(job, job + 1);
        d.counters = [...lab.counters(loaders)].map(([loader, listing]) => `${loader}:\n${touchedCounters(listing, loader)}`).join('\n');
        next = job + 1;
      }
    });
  }
  return {
    capture,
    shape: renderer.shape,
    profile: renderer.profile,
    frames: emulated.frames.length,
    compared: plan.sent.length,
    kernelDelivered,
    kernelDropped: plan.sent.length - kernelDelivered,
    skipped: plan.skipped,
    versions: rulesets.length,
    establishedAfterChange,
    disagreements,
  };
}

/** The result as the check prints it: a summary line, the skipped frames, each disagreement. */
export function formatCheckResult(r: KernelCheckResult): string {
  const lines = [
    `${r.capture}: ${r.shape} vs --cni ${r.profile}: ${r.frames} frames, ${r.compared} compared (kernel delivered ${r.kernelDelivered}, dropped ${r.kernelDropped}), ${r.disagreements.length} disagreement${r.disagreements.length === 1 ? '' : 's'}`,
  ];
  if (r.versions > 1) lines.push(`  ${r.versions} policy versions loaded in turn; ${r.establishedAfterChange} frames of established connections delivered after a change`);
  for (const [reason, count] of [...r.skipped].sort((a, b) => b[1] - a[1])) lines.push(`  not sent: ${count} × ${reason}`);
  for (const d of r.disagreements) {
    lines.push(`  frame ${d.frame}: ${d.packet}: emulator ${d.emulator}, kernel ${d.kernel}`);
    if (d.counters) lines.push(...d.counters.split('\n').map((l) => `      ${l}`));
  }
  return `${lines.join('\n')}\n`;
}
