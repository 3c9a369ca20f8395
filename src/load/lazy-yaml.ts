/**
 * The `yaml` package, loaded on first use. Importing it costs ~100 ms at start-up, which a run
 * whose manifests are all JSON (or a replay without a timeline) need not pay. Its Node entry point
 * is CommonJS, so a synchronous require serves the synchronous loaders.
 */
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');

let loaded: YamlModule | null = null;

export function yamlModule(): YamlModule {
  loaded ??= createRequire(import.meta.url)('yaml') as YamlModule;
  return loaded;
}
