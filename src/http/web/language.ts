/** Languages the self-service pages are translated into; the first is the fallback. */
export const pageLanguages = ['en', 'fr'] as const;
export type PageLanguage = (typeof pageLanguages)[number];

/**
 * The page language: `?mkt=fr-FR` (Entra's parameter) first, then the `Accept-Language` preference order
 * (quality values honoured), then English.
 */
export function pickLanguage(mkt: unknown, acceptLanguage: string | undefined): PageLanguage {
  const fromTag = (tag: string): PageLanguage | undefined => {
    const primary = tag.trim().toLowerCase().split(/[-_]/)[0];
    return pageLanguages.find((language) => language === primary);
  };
  if (typeof mkt === 'string') {
    const chosen = fromTag(mkt);
    if (chosen) return chosen;
  }
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.split(';');
      const q = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
      return { tag, quality: q ? Number(q.slice(2)) || 0 : 1, index };
    })
    .filter((entry) => entry.quality > 0)
    .sort((a, b) => b.quality - a.quality || a.index - b.index);
  for (const entry of ranked) {
    const chosen = fromTag(entry.tag);
    if (chosen) return chosen;
  }
  return 'en';
}
