import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { ZonePicker } from './ZonePicker';

const ZONES = ['America/New_York', 'Asia/Tokyo', 'Europe/Berlin', 'Europe/Paris'];

function renderPicker(value = 'Europe/Paris') {
  const onChoose = vi.fn();
  render(<ZonePicker zones={ZONES} value={value} onChoose={onChoose} />);
  return { onChoose, input: screen.getByRole('combobox', { name: 'Time zone' }) };
}

describe('the zone picker, by keyboard', () => {
  it('filters as you type and chooses the highlighted match with Enter', async () => {
    const user = userEvent.setup();
    const { onChoose, input } = renderPicker();
    await user.click(input);
    await user.keyboard('{Control>}a{/Control}tok');
    expect(screen.getAllByRole('option').map((option) => option.textContent)).toEqual([
      expect.stringContaining('Asia/Tokyo'),
    ]);
    await user.keyboard('{Enter}');
    expect(onChoose).toHaveBeenCalledExactlyOnceWith('Asia/Tokyo');
    expect(input).toHaveProperty('ariaExpanded', 'false');
  });

  it('moves the highlight with the arrows, wrapping, and names it as the active option', async () => {
    const user = userEvent.setup();
    const { onChoose, input } = renderPicker('Europe/Paris');
    input.focus();
    await user.keyboard('{ArrowDown}'); // opens on the zone in use
    const active = () => document.getElementById(input.getAttribute('aria-activedescendant') ?? '')?.textContent;
    expect(active()).toContain('Europe/Paris');
    await user.keyboard('{ArrowDown}'); // past the last: wraps to the first
    expect(active()).toContain('America/New_York');
    await user.keyboard('{ArrowUp}{Enter}');
    expect(onChoose).not.toHaveBeenCalled(); // Europe/Paris is already in use
  });

  it('says when nothing matches, and Escape gives back the zone in use', async () => {
    const user = userEvent.setup();
    const { onChoose, input } = renderPicker();
    await user.click(input);
    await user.keyboard('{Control>}a{/Control}Nowhere/Atlantis');
    expect(screen.getByRole('status').textContent).toBe('No time zone matches “Nowhere/Atlantis”');
    expect(screen.queryAllByRole('option')).toEqual([]);
    await user.keyboard('{Escape}');
    expect(input).toHaveProperty('value', 'Europe/Paris');
    expect(onChoose).not.toHaveBeenCalled();
  });
});
