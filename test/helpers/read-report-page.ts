/** Reading an HTML report in tests: its embedded data, and the check that it loads nothing. */
import { expect } from 'vitest';

export function embeddedData<T>(html: string): T {
  const match = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/.exec(html);
  if (!match) throw new Error('no report data in the page');
  return JSON.parse(match[1] as string) as T;
}

/** No external resource: no src/href attribute on script, link or img, no http(s) URL but SVG's namespace. */
export function expectSelfContained(html: string): void {
  expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
  expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
}
