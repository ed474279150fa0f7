// The world clock's zones in the address: parsed, cleaned, capped, written back readable.
import { describe, expect, it } from 'vitest';
import { MAX_WORLD_ZONES, addZone, parseZonesParam, removeZone, withZones } from './worldZones';

const TWENTY = ['Africa/Cairo', 'America/Chicago', 'America/Denver', 'America/Lima', 'America/New_York',
  'America/Sao_Paulo', 'Asia/Dubai', 'Asia/Kathmandu', 'Asia/Kolkata', 'Asia/Seoul', 'Asia/Singapore', 'Asia/Tokyo',
  'Australia/Sydney', 'Europe/Berlin', 'Europe/London', 'Europe/Madrid', 'Europe/Paris', 'Pacific/Auckland',
  'Pacific/Honolulu', 'UTC'];

/** The first `count` of twenty zones. */
const allZonesForTest = (count: number) => TWENTY.slice(0, count);

describe('parseZonesParam', () => {
  it('reads the zones in order, by canonical name', () => {
    expect(parseZonesParam('?zones=Asia/Tokyo,europe/paris')).toEqual(['Asia/Tokyo', 'Europe/Paris']);
    expect(parseZonesParam('?zones=Asia%2FTokyo%2CAmerica%2FNew_York')).toEqual(['Asia/Tokyo', 'America/New_York']);
  });

  it('drops unknown names, empty entries and repeats (aliases too)', () => {
    expect(parseZonesParam('?zones=Mars/Olympus,,Asia/Tokyo,Asia/Kolkata,Asia/Calcutta,Asia/Tokyo')).toEqual([
      'Asia/Tokyo',
      'Asia/Kolkata',
    ]);
  });

  it('is empty without the parameter, and keeps at most twelve', () => {
    expect(parseZonesParam('')).toEqual([]);
    expect(parseZonesParam('?tz=UTC')).toEqual([]);
    const many = allZonesForTest(20);
    expect(parseZonesParam(`?zones=${many.join(',')}`)).toEqual(many.slice(0, MAX_WORLD_ZONES));
  });
});

describe('withZones', () => {
  it('writes the list with slashes and commas readable, and removes it when empty', () => {
    expect(withZones('http://h/world?x=1', ['Asia/Tokyo', 'Europe/Paris'])).toBe(
      'http://h/world?x=1&zones=Asia/Tokyo,Europe/Paris',
    );
    expect(withZones('http://h/world?zones=Asia/Tokyo', [])).toBe('http://h/world');
  });

  it('reads back what it wrote', () => {
    const zones = ['America/Argentina/Buenos_Aires', 'Etc/GMT+5', 'UTC'];
    expect(parseZonesParam(new URL(withZones('http://h/world', zones)).search)).toEqual(zones);
  });
});

describe('addZone and removeZone', () => {
  it('adds once, at the end, up to twelve, and removes by any name', () => {
    expect(addZone(['Asia/Tokyo'], 'Europe/Paris')).toEqual(['Asia/Tokyo', 'Europe/Paris']);
    expect(addZone(['Asia/Kolkata'], 'Asia/Calcutta')).toEqual(['Asia/Kolkata']);
    const full = allZonesForTest(MAX_WORLD_ZONES);
    expect(addZone(full, 'UTC')).toEqual(full);
    expect(removeZone(['Asia/Kolkata', 'UTC'], 'Asia/Calcutta')).toEqual(['UTC']);
  });
});
