// Wall-clock mode by hand: what it says about the screen, Escape and the Leave button, the page under it out of reach.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ClockClient } from './client';
import { WallPage } from './WallPage';

/** A client that is never started: the clock shows "--" and the status "Connecting…". */
function idleClient(): ClockClient {
  return new ClockClient(
    { openSocket: () => ({ send: () => {}, close: () => {} }), socketUrl: () => '', now: () => 0, wallNow: () => 0 },
    'Asia/Tokyo',
  );
}

function renderWall() {
  const client = idleClient();
  const onLeave = vi.fn();
  render(
    <div>
      <header data-testid="masthead">
        <a href="/">Clock</a>
      </header>
      <WallPage client={client} snapshot={client.getSnapshot()} onLeave={onLeave} />
    </div>,
  );
  return { onLeave };
}

describe('wall-clock mode', () => {
  it('says the screen may sleep where there is no wake lock, and is honest that it is not live', () => {
    renderWall();
    expect(screen.getByRole('heading', { name: 'Wall clock' })).toBeTruthy();
    expect(screen.getByTestId('wake-lock').textContent).toBe('Screen may sleep: wake lock not available');
    expect(screen.getByTestId('wall').querySelector('.clock')?.getAttribute('data-live')).toBe('false');
    expect(screen.getByTestId('time').textContent).toBe('--:--:--');
  });

  it('keeps the page under it out of reach while shown', () => {
    renderWall();
    expect(screen.getByTestId('masthead').inert).toBe(true);
  });

  it('leaves with Escape or the Leave button', async () => {
    const user = userEvent.setup();
    const { onLeave } = renderWall();
    await user.keyboard('{Escape}');
    expect(onLeave).toHaveBeenCalledTimes(1);
    await user.click(screen.getByRole('button', { name: 'Leave wall clock' }));
    expect(onLeave).toHaveBeenCalledTimes(2);
  });
});
