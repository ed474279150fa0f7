/**
 * The page's keyboard shortcuts: which key does what, and which key presses
 * are not shortcuts at all (typed into a field, or with Ctrl, Alt or Cmd,
 * which belong to the browser). The help dialog lists `SHORTCUTS`.
 */

export type ShortcutAction = 'zone-search' | 'new-timer' | 'help';

export interface Shortcut {
  /** The key as people press it, shown in the help. */
  readonly key: string;
  readonly action: ShortcutAction | 'close';
  readonly does: string;
}

export const SHORTCUTS: readonly Shortcut[] = [
  { key: '/', action: 'zone-search', does: 'Search for a time zone (on the clock page)' },
  { key: 'n', action: 'new-timer', does: 'Set a new timer (on the timers page)' },
  { key: '?', action: 'help', does: 'Show these shortcuts' },
  { key: 'Esc', action: 'close', does: 'Close this help, or dismiss a timer alert' },
];

const ACTION_OF_KEY: Readonly<Record<string, ShortcutAction>> = { '/': 'zone-search', n: 'new-timer', '?': 'help' };

/** What a key press must tell for it to be read as a shortcut. */
export interface KeyPress {
  readonly key: string;
  readonly ctrlKey: boolean;
  readonly altKey: boolean;
  readonly metaKey: boolean;
  readonly target: EventTarget | null;
}

/** Whether `target` takes typed text (a field, a text area, a select, editable content). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (typeof Element === 'undefined' || !(target instanceof Element)) return false;
  if (target.closest('[contenteditable=""], [contenteditable="true"]') !== null) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (target.getAttribute('type') ?? 'text').toLowerCase();
  return !['button', 'submit', 'reset', 'checkbox', 'radio', 'range', 'color', 'file', 'image'].includes(type);
}

/** The shortcut `press` asks for, or null (typing, a modifier held, or not a shortcut key). */
export function shortcutOf(press: KeyPress): ShortcutAction | null {
  if (press.ctrlKey || press.altKey || press.metaKey) return null;
  if (isTypingTarget(press.target)) return null;
  return ACTION_OF_KEY[press.key] ?? null;
}
