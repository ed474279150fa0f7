/** The header's account control: the signed-in name and "Sign out", or a "Sign in" link to the Account page. */

import { useEffect, useRef, useState, type MouseEvent } from 'react';
import { useServices, useSession } from '../app/AppServices';
import { ACCOUNT_HREF, isPlainClick } from '../shared/routes';

interface Props {
  readonly onNavigate: (href: string) => void;
}

export function AccountControl({ onNavigate }: Props) {
  const { accounts } = useServices();
  const session = useSession((whole) => whole);
  const [busy, setBusy] = useState(false);
  const signInLink = useRef<HTMLAnchorElement>(null);
  const signedOutHere = useRef(false);

  // Signed out with this control: focus lands on "Sign in", where the button was.
  useEffect(() => {
    if (session === null && signedOutHere.current) signInLink.current?.focus();
    signedOutHere.current = false;
  }, [session]);

  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    if (!isPlainClick(event)) return;
    event.preventDefault();
    onNavigate(ACCOUNT_HREF);
  };

  if (session === null) {
    return (
      <a
        className="account-control account-control__link"
        href={ACCOUNT_HREF}
        onClick={follow}
        ref={signInLink}
        data-testid="account-control"
      >
        Sign in
      </a>
    );
  }
  return (
    <div className="account-control" data-testid="account-control">
      <a className="account-control__name" href={ACCOUNT_HREF} onClick={follow} aria-label={`Account: ${session.username}`}>
        {session.username}
      </a>
      <button
        className="account-control__out"
        type="button"
        aria-disabled={busy}
        onClick={async () => {
          if (busy) return;
          setBusy(true);
          signedOutHere.current = true;
          await accounts.signOut();
          setBusy(false);
        }}
      >
        {busy ? 'Signing out…' : 'Sign out'}
      </button>
    </div>
  );
}
