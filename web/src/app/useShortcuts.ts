/**
 * Listens for the page's keyboard shortcuts (`shortcuts.ts`) anywhere on the
 * page and calls `onShortcut` with the action; the key press is then spent
 * (so `/` is not typed into the field it focuses).
 */

import { useEffect, useRef } from 'react';
import { shortcutOf, type ShortcutAction } from './shortcuts';

export function useShortcuts(onShortcut: (action: ShortcutAction) => void): void {
  const latest = useRef(onShortcut);
  latest.current = onShortcut;
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.repeat) return;
      const action = shortcutOf(event);
      if (action === null) return;
      event.preventDefault();
      latest.current(action);
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);
}
