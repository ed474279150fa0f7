// Routes from paths, the clock page's address keeping its zone, and which clicks the page routes.
import { describe, expect, it } from 'vitest';
import { clockHref, isPlainClick, routeOf, titleOf } from './routes';

describe('routeOf', () => {
  it('maps / to the clock, /timers to the timers, /random to the random numbers and /status to the services, a trailing slash or not', () => {
    expect(routeOf('/')).toBe('clock');
    expect(routeOf('')).toBe('clock');
    expect(routeOf('/timers')).toBe('timers');
    expect(routeOf('/timers/')).toBe('timers');
    expect(routeOf('/timer')).toBe('missing');
    expect(routeOf('/timers/x')).toBe('missing');
    expect(routeOf('/random')).toBe('random');
    expect(routeOf('/random/')).toBe('random');
    expect(routeOf('/randoms')).toBe('missing');
    expect(routeOf('/status')).toBe('status');
    expect(routeOf('/status/')).toBe('status');
    expect(routeOf('/status.json')).toBe('missing');
    expect(routeOf('/account')).toBe('account');
    expect(routeOf('/account/')).toBe('account');
  });

  it('maps /world to the world clock and /wall to wall-clock mode, each with its title', () => {
    expect(routeOf('/world')).toBe('world');
    expect(routeOf('/wall/')).toBe('wall');
    expect(routeOf('/walls')).toBe('missing');
    expect(titleOf('world')).toBe('Clocker — world clock');
    expect(titleOf('wall')).toBe('Clocker — wall clock');
  });
});

describe('clockHref', () => {
  it('is / in the person’s own zone and keeps ?tz otherwise, slashes readable', () => {
    expect(clockHref('Europe/Paris', 'Europe/Paris')).toBe('/');
    expect(clockHref('Asia/Calcutta', 'Asia/Kolkata')).toBe('/');
    expect(clockHref('Asia/Kolkata', 'Europe/Paris')).toBe('/?tz=Asia/Kolkata');
    expect(clockHref('America/Argentina/Buenos_Aires', 'UTC')).toBe('/?tz=America/Argentina/Buenos_Aires');
  });
});

describe('isPlainClick', () => {
  const click = { button: 0, metaKey: false, ctrlKey: false, shiftKey: false, altKey: false, defaultPrevented: false };

  it('routes a plain left click and leaves new tabs and windows to the browser', () => {
    expect(isPlainClick(click)).toBe(true);
    expect(isPlainClick({ ...click, button: 1 })).toBe(false);
    expect(isPlainClick({ ...click, ctrlKey: true })).toBe(false);
    expect(isPlainClick({ ...click, metaKey: true })).toBe(false);
    expect(isPlainClick({ ...click, shiftKey: true })).toBe(false);
    expect(isPlainClick({ ...click, defaultPrevented: true })).toBe(false);
  });
});

describe('titleOf', () => {
  it('keeps the clock page’s title', () => {
    expect(titleOf('clock')).toBe('Clocker — a live clock');
    expect(titleOf('timers')).toBe('Clocker — timers');
    expect(titleOf('random')).toBe('Clocker — random numbers');
    expect(titleOf('status')).toBe('Clocker — status');
    expect(titleOf('account')).toBe('Clocker — account');
  });
});
