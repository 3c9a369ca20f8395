/**
 * Browser tests run unless NETPOL_SKIP_BROWSER=1 says not to; then they say so, in the suite's
 * title and on stderr, so a skipped browser test is never mistaken for a passed one.
 */
export function browserSkipReason(file: string): string | null {
  if (process.env['NETPOL_SKIP_BROWSER'] !== '1') return null;
  const reason = 'skipped: NETPOL_SKIP_BROWSER=1';
  console.warn(`${file}: browser tests ${reason}`);
  return reason;
}

/** The suite title, with the skip reason when skipped. */
export function browserSuiteTitle(title: string, skipReason: string | null): string {
  return skipReason === null ? title : `${title} (${skipReason})`;
}
