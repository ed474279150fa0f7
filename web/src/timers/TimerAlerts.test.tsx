// The alerts in a DOM: the newest takes focus, Escape dismisses it, focus goes back where it was.
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import type { Timer } from './timerApi';
import { SOUND_BLOCKED_TEXT, TimerAlerts } from './TimerAlerts';
import { timer } from './timerFixtures';

const TEA = timer('t-tea', 'fired', Date.UTC(2026, 11, 7, 9, 0), { label: 'tea', seconds: 30, lateMs: 4 });
const EGGS = timer('t-eggs', 'fired', Date.UTC(2026, 11, 7, 9, 1), { label: 'eggs', minutes: 6, lateMs: 2 });

/** A page with a button and a `#main`, whose alerts are set from outside (`fire`) and dismissed by the component. */
function renderPage(extra: { soundBlocked?: boolean; onPlaySound?: () => void } = {}) {
  let fire: (timer: Timer) => void = () => {};
  function Page() {
    const [alerts, setAlerts] = useState<readonly Timer[]>([]);
    fire = (timer) => setAlerts((previous) => [...previous, timer]);
    const dismiss = (id: string) => setAlerts((previous) => previous.filter((timer) => timer.id !== id));
    return (
      <>
        <TimerAlerts alerts={alerts} zone="UTC" onDismiss={dismiss} {...extra} />
        <main id="main" tabIndex={-1}>
          <button type="button">Cancel later</button>
        </main>
      </>
    );
  }
  render(<Page />);
  return { fire: (timer: Timer) => act(() => fire(timer)) };
}

describe('the alerts of fired timers', () => {
  it('takes focus with the newest alert, and Escape gives it back to the button it came from', async () => {
    const user = userEvent.setup();
    const { fire } = renderPage();
    const before = screen.getByRole('button', { name: 'Cancel later' });
    before.focus();

    fire(TEA);
    const alert = screen.getByRole('alert', { name: 'Time’s up: tea' });
    expect(document.activeElement).toBe(alert);
    expect(alert.textContent).toContain('fired at 09:00:00');

    await user.keyboard('{Escape}');
    expect(screen.queryByRole('alert')).toBeNull();
    expect(document.activeElement).toBe(before);
  });

  it('moves to the next alert when one of two is dismissed, and back to the page after the last', async () => {
    const user = userEvent.setup();
    const { fire } = renderPage();
    const before = screen.getByRole('button', { name: 'Cancel later' });
    before.focus();
    fire(TEA);
    fire(EGGS);
    expect(document.activeElement).toBe(screen.getByRole('alert', { name: 'Time’s up: eggs' }));

    await user.click(screen.getByRole('button', { name: 'Dismiss the alert for eggs' }));
    expect(document.activeElement).toBe(screen.getByRole('alert', { name: 'Time’s up: tea' }));
    await user.keyboard('{Escape}');
    expect(screen.queryAllByRole('alert')).toEqual([]);
    expect(document.activeElement).toBe(before);
  });

  it('returns focus to #main when the element it came from is gone', async () => {
    const user = userEvent.setup();
    const { fire } = renderPage();
    const gone = document.body.appendChild(document.createElement('button'));
    gone.focus();
    fire(TEA);
    gone.remove();
    await user.keyboard('{Escape}');
    expect(document.activeElement).toBe(document.getElementById('main'));
  });

  it('says when the browser blocked the beep, and plays it on a press', async () => {
    const user = userEvent.setup();
    const onPlaySound = vi.fn();
    const { fire } = renderPage({ soundBlocked: true, onPlaySound });
    fire(TEA);
    expect(screen.getByRole('alert').textContent).toContain(SOUND_BLOCKED_TEXT);
    await user.click(screen.getByRole('button', { name: 'Play sound' }));
    expect(onPlaySound).toHaveBeenCalledOnce();
  });
});
