/**
 * The kernel tests run where root, network namespaces and the tools are (CI runs as root);
 * elsewhere each file registers one skipped test whose title gives the reason, and logs it, so
 * a skip is never silent.
 */
import { it } from 'vitest';
import { kernelCheckUnavailable } from '../../scripts/kernel-check/check-environment.js';
import { formatCheckResult, type KernelCheckResult } from '../../scripts/kernel-check/check-capture.js';

export const KERNEL_UNAVAILABLE: string | null = kernelCheckUnavailable();

/** Registers the skipped test naming why, when the kernel check cannot run; true when it can. */
export function kernelTestsRun(unit: string): boolean {
  if (KERNEL_UNAVAILABLE === null) return true;
  console.warn(`${unit}: skipped: ${KERNEL_UNAVAILABLE}`);
  it.skip(`${unit} - skipped: ${KERNEL_UNAVAILABLE}`, () => undefined);
  return false;
}

/** The check's own report, for the assertion message: a disagreement is read there. */
export function explain(result: KernelCheckResult): string {
  return formatCheckResult(result);
}
