/**
 * Where the time of a whole `replay` goes, per packet (issue 21): runs the CLI once under
 * `node --cpu-prof`, then charges every profile sample to the innermost stage on its stack —
 * capture reader, decode, conntrack lookup, policy, conntrack insert (with early drop), flow
 * record, denied-attempt index, expiry/timeouts, flow-end accounting — and prints µs per packet
 * for each. Relative shares are what to read: they hold on a loaded machine, absolute µs do not
 * (the profiler's sampling also adds ~5–10 %).
 *
 *   npm run build && node dist/bench/profile-packet-path.js CAPTURE CLUSTER [--bin=dist/src/bin.js] [-- replay options]
 *
 * With a capture of new connections only (`synth --openers-only`) the per-packet numbers are
 * the cost of a new connection; with established traffic, of a conntrack hit.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Stages, innermost first wins: [name, file pattern, function pattern]. */
const STAGES: readonly (readonly [string, RegExp, RegExp])[] = [
  ['conntrack insert + early drop', /conntrack-table\.js$/, /^(create|initSlot|earlyDrop|lookupClassOnly|setSlotOf)$/],
  ['conntrack lookup', /conntrack-table\.js$/, /./],
  ['policy (classify)', /classify-flow\.js$/, /./],
  ['decode', /dataplane\/decode\//, /./],
  ['flow-end accounting (summary, --flows)', /src\/replay\/(flow-summary|flow-report|write-flow-lines|rule-coverage)\.js$/, /./],
  ['flow-end accounting (summary, --flows)', /replay-capture\.js$/, /account/],
  ['expiry / timeouts', /expiry-queue\.js$/, /./],
  ['expiry / timeouts', /dataplane\.js$/, /^(advance|reportEnded|onExpiry|onRemove|flowEnded|recordFinalState)$/],
  ['denied-attempt index', /flow-records\.js$/, /^(find|insert|remove|removeSlot|deleteSlot|hash|hashOf|matches|isExpired|expiryOf|isIndexed|reclaim)$/],
  ['denied-attempt index', /dataplane\.js$/, /^indexDenied$/],
  ['flow record', /flow-records\.js$/, /./],
  ['flow record', /dataplane\.js$/, /^(newRecord|countOnFlow|recordSrcPort|recordDstPort)$/],
  ['service NAT, dedupe, fragments', /dataplane\/(service-nat|dedupe-filter|fragment-cache)\.js$/, /./],
  ['dataplane other (next, step, track)', /dataplane\/dataplane\.js$/, /./],
  ['replay callback, capture stats', /src\/replay\/(replay-capture|capture-stats)\.js$/, /^(callback|add)$/],
  ['capture reader', /src\/capture\//, /^(forEach|push|deliverPcap|deliverPcapng|processUnit|completeCarry|ensureCarry)$/],
];
/** Outside the packet path (for the whole-run picture). */
const PHASES: readonly (readonly [string, RegExp, RegExp])[] = [
  ['end of replay (open flows, summary)', /dataplane\.js$|summarize\.js$/, /^(beginFinish|endOpenFlow|summarize)$/],
  ['compile / table cache', /compile\.js$|compiled-table-cache\.js$/, /^(compile|compiledTablesFor)$/],
  ['load cluster', /load-cluster-input\.js$/, /^loadClusterInput$/],
];

function main(): void {
  const args = process.argv.slice(2);
  const split = args.indexOf('--');
  const own = split >= 0 ? args.slice(0, split) : args;
  const extra = split >= 0 ? args.slice(split + 1) : [];
  const binArg = own.find((a) => a.startsWith('--bin='));
  const [capture, cluster] = own.filter((a) => !a.startsWith('--'));
  if (!capture || !cluster) {
    process.stderr.write('usage: profile-packet-path CAPTURE CLUSTER [--bin=PATH] [-- replay options]\n');
    process.exitCode = 2;
    return;
  }
  const bin = binArg ? binArg.slice('--bin='.length) : join(fileURLToPath(new URL('../..', import.meta.url)), 'dist/src/bin.js');
  const dir = mkdtempSync(join(tmpdir(), 'npe-prof-'));
  try {
    const r = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-interval', '250', bin, 'replay', capture, '-f', cluster, '-o', 'json', ...extra], { encoding: 'utf8', maxBuffer: 256 << 20 });
    if (r.status !== 0) throw new Error(`replay exited ${r.status}: ${r.stderr}`);
    const packets = (JSON.parse(r.stdout) as { capture: { records: number } }).capture.records;
    const file = readdirSync(dir).find((n) => n.endsWith('.cpuprofile'));
    if (!file) throw new Error('no profile written');
    report(JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile, packets);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function report(p: Profile, packets: number): void {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const matchOf = (table: typeof STAGES, n: ProfileNode): string | null => {
    for (const [name, file, fn] of table) if (file.test(n.callFrame.url) && fn.test(n.callFrame.functionName)) return name;
    return null;
  };
  const stageUs = new Map<string, number>();
  const phaseUs = new Map<string, number>();
  let totalUs = 0;
  let packetUs = 0;
  for (let i = 0; i < p.samples.length; i++) {
    const dt = p.timeDeltas[i] ?? 0;
    totalUs += dt;
    let stage: string | null = null;
    let phase: string | null = null;
    let inPacketPath = false;
    for (let id: number | undefined = p.samples[i]; id !== undefined; id = parent.get(id)) {
      const n = byId.get(id) as ProfileNode;
      if (stage === null) stage = matchOf(STAGES, n);
      if (phase === null) phase = matchOf(PHASES, n);
      if (/open-capture\.js$/.test(n.callFrame.url) && n.callFrame.functionName === 'forEach') inPacketPath = true;
    }
    const leaf = byId.get(p.samples[i] as number)?.callFrame.functionName ?? '';
    if (inPacketPath) {
      packetUs += dt;
      const name = stage ?? 'other (packet path)';
      stageUs.set(name, (stageUs.get(name) ?? 0) + dt);
    } else {
      const name = leaf === '(garbage collector)' ? 'garbage collector (any phase)' : (phase ?? 'start-up, modules, other');
      phaseUs.set(name, (phaseUs.get(name) ?? 0) + dt);
    }
  }
  const lines = [`${packets.toLocaleString('en-US')} packets; whole run ${(totalUs / 1e6).toFixed(2)} s (profiled); packet path ${(packetUs / 1e6).toFixed(2)} s = ${(packetUs / packets).toFixed(3)} µs/packet`, '', '| packet-path stage | µs/packet | share |', '|---|---:|---:|'];
  for (const [name, us] of [...stageUs].sort((a, b) => b[1] - a[1])) lines.push(`| ${name} | ${(us / packets).toFixed(3)} | ${((100 * us) / packetUs).toFixed(1)} % |`);
  lines.push('', '| outside the packet path | ms | share of run |', '|---|---:|---:|');
  for (const [name, us] of [...phaseUs].sort((a, b) => b[1] - a[1])) lines.push(`| ${name} | ${(us / 1e3).toFixed(0)} | ${((100 * us) / totalUs).toFixed(1)} % |`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
