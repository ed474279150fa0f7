/**
 * The world clock's list of zones: at most `MAX_WORLD_ZONES`, each once, by
 * its canonical name, kept in the address as `?zones=Asia/Tokyo,Europe/Paris`
 * (slashes and commas left readable). Unknown names in an address are dropped.
 */

import { sameZone, zoneNamed } from './zones';

export const MAX_WORLD_ZONES = 12;
export const ZONES_PARAM = 'zones';

/** The known zones `names` lists, canonical, each once, at most twelve. */
export function cleanZones(names: readonly string[]): readonly string[] {
  const zones: string[] = [];
  for (const name of names) {
    const zone = zoneNamed(name);
    if (zone !== null && !zones.some((kept) => sameZone(kept, zone)) && zones.length < MAX_WORLD_ZONES) {
      zones.push(zone);
    }
  }
  return zones;
}

/** The zones an address's query (`?zones=…`) names; empty when it names none. */
export function parseZonesParam(search: string): readonly string[] {
  const value = new URLSearchParams(search).get(ZONES_PARAM);
  return value === null ? [] : cleanZones(value.split(','));
}

/** `href` with `?zones=` set to `zones` (removed when there are none). */
export function withZones(href: string, zones: readonly string[]): string {
  const url = new URL(href);
  if (zones.length === 0) url.searchParams.delete(ZONES_PARAM);
  else url.searchParams.set(ZONES_PARAM, zones.join(','));
  url.search = url.search.replace(/%2F/gi, '/').replace(/%2C/gi, ',');
  return url.toString();
}

/** `zones` with `zone` added at the end, unless it is there already or the list is full. */
export function addZone(zones: readonly string[], zone: string): readonly string[] {
  return cleanZones([...zones, zone]);
}

/** `zones` without `zone`. */
export function removeZone(zones: readonly string[], zone: string): readonly string[] {
  return zones.filter((kept) => !sameZone(kept, zone));
}
