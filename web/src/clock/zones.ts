/**
 * The time zones on offer: the list, the zone a page starts in, how a typed
 * query matches a zone, and the zone in the page's address.
 */

import { LruCache } from '../shared/lru';
import { ZONE_CACHE_SIZE } from '../shared/format';

/**
 * Zones that ICU (so Intl) still lists under their old names, each with the
 * name the IANA database has used since: Intl.supportedValuesOf gives CLDR's
 * canonical IDs, and people look for Kolkata and Kyiv.
 */
const RENAMED: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/** The current IANA name of `zone` when Intl knows it by an old one. */
export function modernZoneName(zone: string): string {
  const modern = RENAMED[zone];
  return modern !== undefined && isKnownZone(modern) ? modern : zone;
}

/** Every IANA zone this browser knows, by its current name, sorted, with UTC among them. */
export function allZones(): readonly string[] {
  const zones = new Set(Intl.supportedValuesOf('timeZone').map(modernZoneName));
  zones.add('UTC');
  return [...zones].sort((a, b) => a.localeCompare(b, 'en'));
}

/** The browser's own zone, or UTC when it names none. */
export function browserZone(): string {
  return modernZoneName(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
}

/** Whether Intl can show times in `zone`. */
export function isKnownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Bounded: it is asked about whatever is typed into the zone search. */
const canonicalNames = new LruCache<string, string | null>(ZONE_CACHE_SIZE);

/** Intl's name for `zone` (aliases resolve to one name), or null if unknown. */
function canonicalZone(zone: string): string | null {
  let name = canonicalNames.get(zone);
  if (name === undefined) {
    try {
      name = new Intl.DateTimeFormat('en', { timeZone: zone }).resolvedOptions().timeZone;
    } catch {
      name = null;
    }
    canonicalNames.set(zone, name);
  }
  return name;
}

/** The zone `typed` names exactly (any case, spaces for underscores, aliases too), or null. */
export function zoneNamed(typed: string): string | null {
  const name = typed.trim().replace(/ +/g, '_');
  if (name === '') return null;
  const canonical = canonicalZone(name);
  return canonical === null ? null : modernZoneName(canonical);
}

/** Whether two names denote the same zone (e.g. an alias and its canonical name). */
export function sameZone(a: string, b: string): boolean {
  if (a === b) return true;
  const canonical = canonicalZone(a);
  return canonical !== null && canonical === canonicalZone(b);
}

export interface StartZone {
  readonly zone: string;
  /** Why the zone in the address was not used, if it was not. */
  readonly notice: string | null;
}

/** The zone a page starts in: `?tz=` when it names a known zone, else the fallback. */
export function startZone(search: string, fallback: string): StartZone {
  const asked = new URLSearchParams(search).get('tz')?.trim();
  if (!asked) return { zone: fallback, notice: null };
  if (isKnownZone(asked)) return { zone: asked, notice: null };
  return { zone: fallback, notice: `Unknown time zone “${asked}” in the address; showing ${fallback}.` };
}

/** The address `href` with its `tz` parameter set to `zone` (slashes left readable). */
export function withZone(href: string, zone: string): string {
  const url = new URL(href);
  url.searchParams.set('tz', zone);
  url.search = url.search.replace(/%2F/gi, '/');
  return url.toString();
}

/** Lower case, with underscores and slashes read as spaces. */
function normalise(text: string): string {
  return text.toLowerCase().replace(/[_/]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/**
 * The zones matching `query` anywhere, case-insensitively, with `_` and `/`
 * matching spaces. Best matches first: the exact name, then names whose city
 * starts with the query, then names that start with it, then the rest.
 */
export function filterZones(zones: readonly string[], query: string): readonly string[] {
  const needle = normalise(query);
  if (needle === '') return zones;
  const ranked: Array<{ zone: string; rank: number; index: number }> = [];
  zones.forEach((zone, index) => {
    const haystack = normalise(zone);
    const at = haystack.indexOf(needle);
    if (at < 0) return;
    const city = normalise(zone.slice(zone.lastIndexOf('/') + 1));
    const rank = haystack === needle ? 0 : city.startsWith(needle) ? 1 : at === 0 ? 2 : 3;
    ranked.push({ zone, rank, index });
  });
  ranked.sort((a, b) => a.rank - b.rank || a.index - b.index);
  return ranked.map(({ zone }) => zone);
}

/**
 * `filterZones`, and first the zone the query names exactly when it is not
 * among them (an alias such as US/Eastern, or a zone missing from the list).
 */
export function searchZones(zones: readonly string[], query: string): readonly string[] {
  const matches = filterZones(zones, query);
  const named = zoneNamed(query);
  if (named === null || matches.includes(named)) return matches;
  return [named, ...matches.filter((zone) => zone !== named)];
}
