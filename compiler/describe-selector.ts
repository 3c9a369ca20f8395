/** Selectors as text in Calico's selector syntax (SEMANTICS.md §3.1 conversion), for renderers. */
import type { LabelSelector } from './model.js';
import type { SelectorSource } from './tables.js';

export function selectorText(selector: LabelSelector): string {
  const terms: string[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) terms.push(`${key} == '${value}'`);
  for (const r of selector.matchExpressions) {
    const values = `{${r.values.map((v) => `'${v}'`).join(', ')}}`;
    if (r.operator === 'In') terms.push(`${r.key} in ${values}`);
    else if (r.operator === 'NotIn') terms.push(`${r.key} not in ${values}`);
    else if (r.operator === 'Exists') terms.push(`has(${r.key})`);
    else terms.push(`!has(${r.key})`);
  }
  return terms.length === 0 ? 'all()' : terms.join(' && ');
}

export function selectorSourceText(source: SelectorSource): string {
  const ns = source.namespaceSelector === null ? `namespace == '${source.namespace}'` : `namespaceSelector(${selectorText(source.namespaceSelector)})`;
  const pods = source.podSelector === null ? 'all pods' : `pods(${selectorText(source.podSelector)})`;
  return `${pods} in ${ns}`;
}
