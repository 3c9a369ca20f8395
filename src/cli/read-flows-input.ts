/**
 * `--flows-in FILE` with `--flows-format auto|hubble|netpol` and `--reorder-window SECONDS`, for
 * replay, advise and diff: which reader the file needs (detect-flows-format.ts) and a factory
 * that makes a fresh one per replay (advise and diff replay the file twice).
 */
import type { Readable } from 'node:stream';
import type { CaptureEnd, CaptureRecord } from '../capture/capture-record.js';
import type { OpenCaptureOptions } from '../capture/open-capture.js';
import { ExitCode, UserError } from '../diagnostics.js';
import { detectFlowsFormat, type FlowsFormat } from '../replay/detect-flows-format.js';
import { buildServiceNat } from '../replay/build-service-nat.js';
import { DEFAULT_REORDER_WINDOW_S, type ServiceFrontends } from '../replay/order-hubble-packets.js';
import { readFlowsJsonl } from '../replay/read-flows-jsonl.js';
import { HubbleFlowReader, type HubbleParseMode } from '../replay/read-hubble-flows.js';
import type { Cluster } from '../../compiler/model.js';
import { choiceOption, stringOption, type ParsedArgs } from './parse-options.js';

export const FLOWS_INPUT_OPTIONS = {
  'flows-format': { type: 'string' },
  'reorder-window': { type: 'string' },
} as const;

export const FLOWS_INPUT_HELP = `  --flows-format auto|hubble|netpol
                          format of --flows-in (default auto: judged from the first non-blank
                          line): hubble = 'hubble observe -o json|jsonpb' lines or the Hubble
                          exporter's file (docs/hubble.md); netpol = the JSONL flow lines
                          'synth --flows-out' writes (docs/jsonl-flow-format.md)
  --reorder-window SECONDS
                          Hubble input: how long a packet waits for earlier ones, as exports are
                          not strictly in time order (default ${DEFAULT_REORDER_WINDOW_S})`;

export type FlowsReader = (source: string | Readable, callback: (record: CaptureRecord) => void, options: OpenCaptureOptions) => Promise<CaptureEnd>;

export interface FlowsInput {
  readonly format: FlowsFormat;
  /** Reorder window in seconds (Hubble). */
  readonly reorderWindowSec: number;
  /** A fresh Hubble reader (stats and order buffer are per read). */
  hubbleReader(cluster: Cluster): HubbleFlowReader;
  /** A reader function for one replay. */
  reader(cluster: Cluster): FlowsReader;
}

/** `NETPOL_EMU_HUBBLE_PARSE=auto|json|scan`: how Hubble lines are parsed (HubbleReadOptions.parse, docs/hubble.md). */
const HUBBLE_PARSE_ENV = 'NETPOL_EMU_HUBBLE_PARSE';

/** What `--flows-in PATH` needs, from the command's options. */
export function readFlowsInput(command: string, parsed: ParsedArgs, path: string, env: Readonly<Record<string, string | undefined>> = {}): FlowsInput {
  const chosen = choiceOption(command, parsed, 'flows-format', ['auto', 'hubble', 'netpol'] as const, 'auto');
  const windowText = stringOption(parsed, 'reorder-window');
  let reorderWindowSec = DEFAULT_REORDER_WINDOW_S;
  if (windowText !== undefined) {
    reorderWindowSec = Number(windowText);
    if (!/^\d+(\.\d+)?$/.test(windowText) || !(reorderWindowSec <= 3600)) throw new UserError(`${command}: --reorder-window must be seconds from 0 to 3600; got ${JSON.stringify(windowText)}`, ExitCode.USAGE);
  }
  const format: FlowsFormat = chosen === 'auto' ? detectFlowsFormat(path) : chosen;
  if (format !== 'hubble' && windowText !== undefined) throw new UserError(`${command}: --reorder-window applies to Hubble input only (${path} is read as netpol-emu flow lines)`, ExitCode.USAGE);
  const parseText = env[HUBBLE_PARSE_ENV] || 'auto';
  if (parseText !== 'auto' && parseText !== 'json' && parseText !== 'scan') throw new UserError(`${command}: ${HUBBLE_PARSE_ENV} must be auto, json or scan; got ${JSON.stringify(parseText)}`, ExitCode.USAGE);
  const parse: HubbleParseMode = parseText;
  const hubbleReader = (cluster: Cluster): HubbleFlowReader => {
    const frontends = serviceFrontends(cluster);
    return new HubbleFlowReader({ knownPods: new Set(cluster.pods.map((p) => `${p.namespace}/${p.name}`)), reorderWindowSec, parse, ...(frontends ? { frontends } : {}) });
  };
  return {
    format,
    reorderWindowSec,
    hubbleReader,
    reader: (cluster) => (format === 'hubble' ? hubbleReader(cluster).read : readFlowsJsonl),
  };
}

/** The cluster's Service frontends and endpoints, as the replay translates them (none without Services). */
function serviceFrontends(cluster: Cluster): ServiceFrontends | undefined {
  const nat = buildServiceNat(cluster);
  if (!nat) return undefined;
  return {
    isFrontend: (family, address, protocol, port) => nat.isFrontend(family, address, protocol, port),
    hasEndpoint: (family, frontend, protocol, frontendPort, address, port) => {
      const f = nat.frontendAt(family, frontend, protocol, frontendPort);
      return f >= 0 && nat.backendAt(f, address, port) >= 0;
    },
  };
}

/** Options that only make sense with --flows-in: a usage error without it. */
export function rejectFlowsOptionsWithoutInput(command: string, parsed: ParsedArgs): void {
  for (const name of Object.keys(FLOWS_INPUT_OPTIONS)) {
    if (stringOption(parsed, name) !== undefined) throw new UserError(`${command}: --${name} applies to --flows-in only`, ExitCode.USAGE);
  }
}
