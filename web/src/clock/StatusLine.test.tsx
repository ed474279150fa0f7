/**
 * The status line when the browser has no network: it says "Offline" rather
 * than counting reconnection attempts, and goes back to the connection's own
 * words when the network returns (or while frames still arrive).
 */

import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StatusLine } from './StatusLine';

function setOnline(online: boolean) {
  vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(online);
  window.dispatchEvent(new Event(online ? 'online' : 'offline'));
}

afterEach(() => vi.restoreAllMocks());

describe('the status line', () => {
  it('says Offline while the browser has no network and no frames arrive', () => {
    setOnline(false);
    render(<StatusLine status={{ state: 'reconnecting', text: 'Reconnecting in 2 s (attempt 3)' }} />);
    expect(screen.getByTestId('status').textContent).toMatch(/^Offline/);
    act(() => setOnline(true));
    expect(screen.getByTestId('status').textContent).toBe('Reconnecting in 2 s (attempt 3)');
  });

  it('believes the frames over the browser while they arrive', () => {
    setOnline(false);
    render(<StatusLine status={{ state: 'live', text: 'Live' }} />);
    expect(screen.getByTestId('status').textContent).toBe('Live');
  });
});
