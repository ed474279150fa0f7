// The shortcuts' help in a DOM: `?` opens it from anywhere but a field, Escape closes it and gives
// focus back to where it was, Tab stays inside; `/` and `n` ask for their pages' fields.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { HelpDialog } from './HelpDialog';
import type { ShortcutAction } from './shortcuts';
import { useShortcuts } from './useShortcuts';

/** A page with a button, a text field and the help, opened by `?` as the app does. */
function Page({ onShortcut }: { readonly onShortcut: (action: ShortcutAction) => void }) {
  const [open, setOpen] = useState(false);
  useShortcuts((action) => {
    onShortcut(action);
    if (action === 'help') setOpen(true);
  });
  return (
    <>
      <button type="button">Somewhere</button>
      <label>
        Label
        <input type="text" />
      </label>
      <HelpDialog open={open} onClose={() => setOpen(false)} />
    </>
  );
}

function setup() {
  const onShortcut = vi.fn<(action: ShortcutAction) => void>();
  const user = userEvent.setup();
  render(<Page onShortcut={onShortcut} />);
  return { user, onShortcut };
}

const dialog = () => screen.getByTestId('help-dialog');

describe('HelpDialog and the shortcuts', () => {
  it('opens on ?, lists every shortcut, and takes focus', async () => {
    const { user } = setup();
    expect(dialog().hasAttribute('open')).toBe(false);
    await user.click(screen.getByRole('button', { name: 'Somewhere' }));
    await user.keyboard('?');
    expect(dialog().hasAttribute('open')).toBe(true);
    expect(screen.getByRole('heading', { name: 'Keyboard shortcuts' })).toBeTruthy();
    for (const key of ['/', 'n', '?', 'Esc']) expect(screen.getByText(key, { selector: 'kbd' })).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Close' }));
  });

  it('closes on Escape and gives focus back to where it was', async () => {
    const { user } = setup();
    const somewhere = screen.getByRole('button', { name: 'Somewhere' });
    await user.click(somewhere);
    await user.keyboard('?');
    expect(dialog().hasAttribute('open')).toBe(true);
    await user.keyboard('{Escape}');
    expect(dialog().hasAttribute('open')).toBe(false);
    expect(document.activeElement).toBe(somewhere);
  });

  it('keeps Tab inside the dialog', async () => {
    const { user } = setup();
    await user.click(screen.getByRole('button', { name: 'Somewhere' }));
    await user.keyboard('?');
    await user.tab();
    expect(dialog().contains(document.activeElement)).toBe(true);
    await user.tab({ shift: true });
    expect(dialog().contains(document.activeElement)).toBe(true);
  });

  it('ignores shortcut keys typed into a field', async () => {
    const { user, onShortcut } = setup();
    const field = screen.getByRole('textbox', { name: 'Label' });
    await user.click(field);
    await user.keyboard('?/n');
    expect(onShortcut).not.toHaveBeenCalled();
    expect(dialog().hasAttribute('open')).toBe(false);
    expect((field as HTMLInputElement).value).toBe('?/n');
  });

  it('asks for the zone search on / and a new timer on n, spending the key', async () => {
    const { user, onShortcut } = setup();
    await user.click(screen.getByRole('button', { name: 'Somewhere' }));
    await user.keyboard('/n');
    expect(onShortcut.mock.calls.map(([action]) => action)).toEqual(['zone-search', 'new-timer']);
  });

  it('leaves keys with Ctrl, Alt or Cmd to the browser', async () => {
    const { user, onShortcut } = setup();
    await user.click(screen.getByRole('button', { name: 'Somewhere' }));
    await user.keyboard('{Control>}n{/Control}{Meta>}/{/Meta}');
    expect(onShortcut).not.toHaveBeenCalled();
  });
});
