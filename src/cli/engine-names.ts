/** The engines a command can evaluate with; apart from select-engine.ts so that naming them loads neither. */
export const ENGINES = ['naive', 'compiled'] as const;
export type EngineName = (typeof ENGINES)[number];
