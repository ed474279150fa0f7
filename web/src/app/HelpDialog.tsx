/**
 * The keyboard shortcuts' help: a modal `<dialog>` listing every shortcut.
 * It takes focus when opened, keeps Tab inside it, closes on Escape or its
 * Close button, and gives focus back to where it was.
 */

import { useEffect, useRef, type KeyboardEvent } from 'react';
import { SHORTCUTS } from './shortcuts';

interface Props {
  readonly open: boolean;
  readonly onClose: () => void;
}

const FOCUSABLE = 'button, [href], input, select, textarea, [tabindex]:not([tabindex="-1"])';

export function HelpDialog({ open, onClose }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);
  const closeButton = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!open || element === null) return;
    const before = document.activeElement;
    // showModal makes the rest of the page inert; where it is missing (jsdom), plain `open`.
    if (typeof element.showModal === 'function') element.showModal();
    else element.setAttribute('open', '');
    closeButton.current?.focus();
    return () => {
      if (typeof element.close === 'function') element.close();
      else element.removeAttribute('open');
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    };
  }, [open]);

  const onKeyDown = (event: KeyboardEvent<HTMLDialogElement>) => {
    if (event.key === 'Escape') {
      event.preventDefault(); // ours to close (so focus goes back), not the browser's
      onClose();
    } else if (event.key === 'Tab') {
      trapTab(event);
    }
  };

  return (
    <dialog
      ref={dialog}
      className="help"
      aria-labelledby="help-title"
      data-testid="help-dialog"
      onKeyDown={onKeyDown}
      onCancel={(event) => {
        event.preventDefault();
        onClose();
      }}
    >
      <h2 className="help__title" id="help-title">
        Keyboard shortcuts
      </h2>
      <dl className="help__list">
        {SHORTCUTS.map((shortcut) => (
          <div className="help__row" key={shortcut.key}>
            <dt>
              <kbd>{shortcut.key}</kbd>
            </dt>
            <dd>{shortcut.does}</dd>
          </div>
        ))}
      </dl>
      <p className="help__note">Shortcuts do nothing while you type in a field.</p>
      <button ref={closeButton} type="button" className="button button--primary" onClick={onClose}>
        Close
      </button>
    </dialog>
  );
}

/** Keeps Tab and Shift+Tab among the dialog's own controls. */
function trapTab(event: KeyboardEvent<HTMLDialogElement>): void {
  const items = [...event.currentTarget.querySelectorAll<HTMLElement>(FOCUSABLE)];
  const first = items[0];
  const last = items[items.length - 1];
  if (first === undefined || last === undefined) return;
  const active = document.activeElement;
  if (event.shiftKey && (active === first || !event.currentTarget.contains(active))) {
    event.preventDefault();
    last.focus();
  } else if (!event.shiftKey && (active === last || !event.currentTarget.contains(active))) {
    event.preventDefault();
    first.focus();
  }
}
