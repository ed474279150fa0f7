// The zone list, search, the starting zone and the zone in the address.
import { describe, expect, it } from 'vitest';
import {
  allZones,
  filterZones,
  isKnownZone,
  modernZoneName,
  sameZone,
  searchZones,
  startZone,
  withZone,
  zoneNamed,
} from './zones';

const ZONES = [
  'America/Argentina/Buenos_Aires',
  'America/New_York',
  'America/North_Dakota/New_Salem',
  'Asia/Tokyo',
  'Europe/London',
  'Europe/Paris',
  'Pacific/Auckland',
  'UTC',
];

describe('allZones', () => {
  it('offers UTC and the usual zones, sorted and without repeats', () => {
    const zones = allZones();
    expect(zones).toContain('UTC');
    expect(zones).toContain('Asia/Tokyo');
    expect(new Set(zones).size).toBe(zones.length);
    expect([...zones].sort((a, b) => a.localeCompare(b, 'en'))).toEqual(zones);
  });

  it('uses the current IANA names where ICU lists old ones', () => {
    const zones = allZones();
    expect(zones).toContain('Asia/Kolkata');
    expect(zones).toContain('Europe/Kyiv');
    expect(zones).not.toContain('Asia/Calcutta');
    expect(zones).not.toContain('Europe/Kiev');
  });
});

describe('modernZoneName', () => {
  it('renames old spellings and leaves the rest alone', () => {
    expect(modernZoneName('Asia/Calcutta')).toBe('Asia/Kolkata');
    expect(modernZoneName('America/Buenos_Aires')).toBe('America/Argentina/Buenos_Aires');
    expect(modernZoneName('Europe/Paris')).toBe('Europe/Paris');
  });
});

describe('searchZones', () => {
  it('finds a zone by an alias typed in full', () => {
    expect(searchZones(ZONES, 'US/Eastern')).toEqual(['America/New_York']);
    expect(searchZones(ZONES, 'asia/calcutta')).toEqual(['Asia/Kolkata']);
  });

  it('offers a zone typed in full that the list lacks, before the other matches', () => {
    expect(searchZones(ZONES, 'Asia/Kolkata')[0]).toBe('Asia/Kolkata');
    expect(searchZones(ZONES, 'Europe/Berlin')).toEqual(['Europe/Berlin']);
  });

  it('adds nothing for a partial name', () => {
    expect(searchZones(ZONES, 'new y')).toEqual(['America/New_York']);
    expect(searchZones(ZONES, 'nowhere')).toEqual([]);
  });

  it('finds the exact name typed with spaces', () => {
    expect(searchZones(ZONES, 'America/New York')).toEqual(['America/New_York']);
    expect(zoneNamed('  ')).toBeNull();
  });
});

describe('filterZones', () => {
  it('offers everything for an empty query', () => {
    expect(filterZones(ZONES, '  ')).toBe(ZONES);
  });

  it('matches anywhere, ignoring case', () => {
    expect(filterZones(ZONES, 'PARIS')).toEqual(['Europe/Paris']);
    expect(filterZones(ZONES, 'rope/lon')).toEqual(['Europe/London']);
  });

  it('lets spaces stand for underscores', () => {
    expect(filterZones(ZONES, 'new york')).toEqual(['America/New_York']);
    expect(filterZones(ZONES, 'buenos_aires')).toEqual(['America/Argentina/Buenos_Aires']);
    expect(filterZones(ZONES, 'Buenos Aires')).toEqual(['America/Argentina/Buenos_Aires']);
  });

  it('puts the exact name first, then cities that start with the query', () => {
    expect(filterZones(ZONES, 'Asia/Tokyo')).toEqual(['Asia/Tokyo']);
    expect(filterZones(ZONES, 'new')).toEqual(['America/New_York', 'America/North_Dakota/New_Salem']);
    expect(filterZones(ZONES, 'a')[0]).toBe('Pacific/Auckland'); // the only city starting with "a"
  });

  it('finds nothing for a stranger', () => {
    expect(filterZones(ZONES, 'Atlantis')).toEqual([]);
  });
});

describe('startZone', () => {
  it('takes the zone from the address', () => {
    expect(startZone('?tz=Asia/Tokyo', 'Europe/Paris')).toEqual({ zone: 'Asia/Tokyo', notice: null });
    expect(startZone('?tz=America%2FNew_York', 'UTC').zone).toBe('America/New_York');
  });

  it('falls back when the address names no zone', () => {
    expect(startZone('', 'Europe/Paris')).toEqual({ zone: 'Europe/Paris', notice: null });
    expect(startZone('?tz=', 'Europe/Paris').zone).toBe('Europe/Paris');
  });

  it('falls back, and says why, when the address names an unknown zone', () => {
    const start = startZone('?tz=Mars/Base', 'Europe/Paris');
    expect(start.zone).toBe('Europe/Paris');
    expect(start.notice).toContain('Mars/Base');
  });
});

describe('zone names', () => {
  it('knows real zones only', () => {
    expect(isKnownZone('Asia/Kolkata')).toBe(true);
    expect(isKnownZone('Asia/Nowhere')).toBe(false);
  });

  it('sees an alias and its canonical name as one zone', () => {
    expect(sameZone('Asia/Calcutta', 'Asia/Kolkata')).toBe(true);
    expect(sameZone('Asia/Tokyo', 'Asia/Seoul')).toBe(false);
    expect(sameZone('Asia/Nowhere', 'UTC')).toBe(false);
  });
});

describe('withZone', () => {
  it('sets tz and keeps the rest of the address', () => {
    expect(withZone('https://clock.example/?x=1#top', 'Asia/Tokyo')).toBe(
      'https://clock.example/?x=1&tz=Asia/Tokyo#top',
    );
    expect(withZone('http://h/?tz=UTC', 'Europe/Paris')).toBe('http://h/?tz=Europe/Paris');
    expect(withZone('http://h/', 'America/Port-au-Prince')).toBe('http://h/?tz=America/Port-au-Prince');
  });
});
