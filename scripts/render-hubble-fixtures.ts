/**
 * Renders the project's recorded captures as Hubble would print them (src/synth/render-hubble-lines.ts),
 * with the verdicts of the emulator's own replay under `--cni cilium`, into test/fixtures/hubble/:
 *
 *   npm run build && node dist/scripts/render-hubble-fixtures.js
 *
 * - three-tier.json: examples/three-tier/capture.pcap (replayed against examples/three-tier);
 * - service-client.json: examples/service/capture-client.pcap (examples/service/cluster.yaml);
 * - three-tier-flipped.json: three-tier with two verdicts flipped on purpose — the first packet
 *   the emulator drops by policy recorded as FORWARDED, the first packet it allows as a new
 *   connection recorded as a POLICY_DENIED drop — and three-tier-flipped.expected.json naming them;
 * - service-per-packet-lb.json: examples/service/capture-client.pcap against
 *   test/fixtures/hubble/service-lb (backend-v2 closed to the client), rendered as Cilium without
 *   socket-LB prints it (pre-DNAT FROM_ENDPOINT with destination_service, replies with
 *   IP.source_xlated) and with the endpoints `--service-seed 1` chooses, which differ from the
 *   default seed's for one connection: a replay must follow the endpoints Hubble shows.
 * The files are committed; tests read them (test/hubble-*.test.ts) and replay them.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { resolveProfile } from '../compiler/cni-profiles.js';
import { policySemantics } from '../compiler/policy-semantics.js';
import { PacketCategory } from '../dataplane/packet-category.js';
import { loadCluster } from '../src/load/load-cluster.js';
import { profileDataplaneOptions } from '../src/replay/profile-dataplane-options.js';
import { renderHubbleLines, type RenderLb, type VerdictFlip } from '../src/synth/render-hubble-lines.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = join(ROOT, 'test/fixtures/hubble');

async function render(clusterPath: string, capture: string, out: string, flip?: VerdictFlip, lb: RenderLb = 'socket', seed = 0): Promise<void> {
  const { cluster } = loadCluster({ paths: [join(ROOT, clusterPath)] });
  const resolved = resolveProfile('cilium', []);
  if (!resolved.ok) throw new Error(resolved.error);
  const profile = resolved.profile;
  const lines: string[] = [];
  const result = await renderHubbleLines(
    cluster,
    join(ROOT, capture),
    { engine: 'compiled', semantics: policySemantics(profile.values), dataplane: profileDataplaneOptions(profile), services: { externalSource: profile.values.externalSource, seed } },
    (line) => lines.push(line),
    flip,
    lb,
  );
  writeFileSync(join(OUT, out), lines.length ? `${lines.join('\n')}\n` : '');
  process.stdout.write(`${out}: ${result.packets} packets -> ${result.lines} lines (${result.unobserved} not observed by Hubble)\n`);
}

await render('examples/three-tier', 'examples/three-tier/capture.pcap', 'three-tier.json');
await render('examples/service/cluster.yaml', 'examples/service/capture-client.pcap', 'service-client.json');
await render('test/fixtures/hubble/service-lb', 'examples/service/capture-client.pcap', 'service-per-packet-lb.json', undefined, 'per-packet', 1);

const flipped: { index: number; emulated: string; recorded: string }[] = [];
let flippedDrop = false;
let flippedAllow = false;
await render('examples/three-tier', 'examples/three-tier/capture.pcap', 'three-tier-flipped.json', (index, category) => {
  if (!flippedDrop && (category === PacketCategory.DROPPED_EGRESS || category === PacketCategory.DROPPED_INGRESS)) {
    flippedDrop = true;
    flipped.push({ index, emulated: 'dropped', recorded: 'FORWARDED' });
    return 'forwarded';
  }
  if (!flippedAllow && category === PacketCategory.ALLOWED_NEW) {
    flippedAllow = true;
    flipped.push({ index, emulated: 'allowed', recorded: 'DROPPED POLICY_DENIED' });
    return 'policy-drop';
  }
  return null;
});
writeFileSync(join(OUT, 'three-tier-flipped.expected.json'), `${JSON.stringify({ flipped }, null, 2)}\n`);
