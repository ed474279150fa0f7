// The world clock by hand: adding and removing zones, the address and the account keeping them.
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { WorldClockPage, type WorldClockDeps } from './WorldClockPage';
import type { TokenSource } from './useWorldZones';

const HOUR = 3_600_000;
/** 2026-07-01T10:20:30Z on the server's clock. */
const SERVER_NOW = Date.parse('2026-07-01T10:20:30Z');
const LIVE = { state: 'live', text: 'Live' } as const;
/** What the picker offers here (every zone would make each keystroke slow in jsdom). */
const CHOICES = ['America/New_York', 'Asia/Tokyo', 'Europe/Berlin', 'Europe/Paris', 'UTC'];

function fakeApi(saved: readonly string[] = []) {
  return {
    loadZones: vi.fn(async (_token: string) => saved),
    saveZones: vi.fn(async (_token: string, _zones: readonly string[]) => {}),
    // The services put Tokyo an hour later than the browser's rules do.
    zoneOffset: vi.fn(async (zone: string) => (zone === 'Asia/Tokyo' ? 10 * HOUR : 2 * HOUR)),
  } satisfies WorldClockDeps;
}

function session(token: string | null): TokenSource {
  return { subscribe: () => () => {}, token: () => token };
}

function renderPage(api: WorldClockDeps, token: string | null = null) {
  const { unmount } = render(
    <WorldClockPage
      clock={{ serverNow: () => SERVER_NOW }}
      status={LIVE}
      live
      api={api}
      session={session(token)}
      choices={CHOICES}
    />,
  );
  return { picker: screen.getByRole('combobox', { name: 'Time zone' }), unmount };
}

const zonesInAddress = () => new URLSearchParams(window.location.search).get('zones');
const cards = () => screen.queryAllByTestId('world-card').map((card) => card.dataset.zone);

beforeEach(() => {
  window.history.replaceState(null, '', '/world');
});

describe('the world clock', () => {
  it('adds zones with the picker, in the address, each drawn with the services’ offset', async () => {
    const user = userEvent.setup();
    const { picker } = renderPage(fakeApi());
    expect(screen.getByTestId('world-empty')).toBeTruthy();

    await user.click(picker);
    await user.keyboard('tokyo{Enter}');
    await user.click(picker);
    await user.keyboard('paris{Enter}');
    expect(cards()).toEqual(['Asia/Tokyo', 'Europe/Paris']);
    expect(zonesInAddress()).toBe('Asia/Tokyo,Europe/Paris');
    expect(window.location.search).toBe('?zones=Asia/Tokyo,Europe/Paris');

    const tokyo = screen.getAllByTestId('world-card')[0]!;
    await waitFor(() => expect(tokyo.dataset.source).toBe('services'));
    await waitFor(() => expect(within(tokyo).getByTestId('world-time').textContent).toBe('20:20:30'));
    expect(within(tokyo).getByText('UTC+10:00')).toBeTruthy();
  });

  it('removes a zone from its card, and the address follows', async () => {
    window.history.replaceState(null, '', '/world?zones=Asia/Tokyo,Europe/Paris');
    const user = userEvent.setup();
    renderPage(fakeApi());
    expect(cards()).toEqual(['Asia/Tokyo', 'Europe/Paris']);
    await user.click(screen.getByRole('button', { name: 'Remove Asia/Tokyo' }));
    expect(cards()).toEqual(['Europe/Paris']);
    expect(zonesInAddress()).toBe('Europe/Paris');
    await user.click(screen.getByRole('button', { name: 'Remove Europe/Paris' }));
    expect(cards()).toEqual([]);
    expect(zonesInAddress()).toBeNull();
  });

  it('marks a zone drawn by the browser’s rules when the gateway does not answer', async () => {
    window.history.replaceState(null, '', '/world?zones=Asia/Tokyo');
    const api = { ...fakeApi(), zoneOffset: vi.fn(async () => Promise.reject(new Error('503'))) };
    renderPage(api);
    const tokyo = screen.getByTestId('world-card');
    await waitFor(() => expect(tokyo.dataset.source).toBe('browser'));
    expect(within(tokyo).getByText(/by this browser’s rules/)).toBeTruthy();
    expect(within(tokyo).getByTestId('world-time').textContent).toBe('19:20:30');
  });

  it('signed in with no zones in the address, shows the account’s, and saves edits', async () => {
    const api = fakeApi(['Asia/Tokyo', 'UTC']);
    const user = userEvent.setup();
    renderPage(api, 'tok');
    await waitFor(() => expect(cards()).toEqual(['Asia/Tokyo', 'UTC']));
    expect(api.loadZones).toHaveBeenCalledWith('tok');
    expect(zonesInAddress()).toBe('Asia/Tokyo,UTC');

    await user.click(screen.getByRole('button', { name: 'Remove UTC' }));
    await waitFor(() => expect(api.saveZones).toHaveBeenCalledExactlyOnceWith('tok', ['Asia/Tokyo']), {
      timeout: 3_000,
    });
  });

  it('signed in, saves a last edit at once when the page is left', async () => {
    window.history.replaceState(null, '', '/world?zones=Asia/Tokyo,UTC');
    const api = fakeApi();
    const user = userEvent.setup();
    const { unmount } = renderPage(api, 'tok');
    await user.click(screen.getByRole('button', { name: 'Remove UTC' }));
    expect(api.saveZones).not.toHaveBeenCalled();
    unmount();
    expect(api.saveZones).toHaveBeenCalledExactlyOnceWith('tok', ['Asia/Tokyo']);
  });

  it('signed in, keeps the address’s zones over the account’s', async () => {
    window.history.replaceState(null, '', '/world?zones=Europe/Paris');
    const api = fakeApi(['Asia/Tokyo']);
    renderPage(api, 'tok');
    await act(async () => {});
    expect(api.loadZones).not.toHaveBeenCalled();
    expect(cards()).toEqual(['Europe/Paris']);
  });
});
