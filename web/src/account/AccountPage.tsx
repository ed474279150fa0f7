/**
 * The Account page (`/account`): signed out, a form to sign in and one to
 * create an account (then signed in with it); signed in, who you are, until
 * when, and a way to sign out. Focus moves to the result: the "Signed in as"
 * heading after signing in, the sign-in form's first field after signing out.
 */

import { useEffect, useRef, useState } from 'react';
import { useServices, useSession } from '../app/AppServices';
import { formatDate, formatTimeOfDay } from '../shared/format';
import { TIMERS_HREF } from '../shared/routes';
import { CredentialsForm } from './CredentialsForm';

interface Props {
  /** The zone times are shown in (the clock page's). */
  readonly zone: string;
  readonly onNavigate: (href: string) => void;
}

export function AccountPage({ zone, onNavigate }: Props) {
  const { accounts } = useServices();
  const session = useSession((whole) => whole);
  const [note, setNote] = useState<string | null>(null);
  const signedInTitle = useRef<HTMLHeadingElement>(null);
  const noteLine = useRef<HTMLParagraphElement>(null);
  const justSignedIn = useRef(false);

  // Focus follows the result: "Signed in as …", or the note saying the sign-out happened.
  useEffect(() => {
    if (session !== null && justSignedIn.current) signedInTitle.current?.focus();
    justSignedIn.current = false;
  }, [session]);
  useEffect(() => {
    if (session === null && note !== null) noteLine.current?.focus();
  }, [session, note]);

  const signIn = async (username: string, password: string) => {
    justSignedIn.current = true;
    setNote(null);
    await accounts.signIn(username, password).catch((error: unknown) => {
      justSignedIn.current = false;
      throw error;
    });
  };
  const register = async (username: string, password: string) => {
    justSignedIn.current = true;
    setNote(null);
    const created = await accounts.register(username, password).catch((error: unknown) => {
      justSignedIn.current = false;
      throw error;
    });
    setNote(`Account “${created.username}” created.`);
  };
  const signOut = async () => {
    const problem = await accounts.signOut();
    setNote(problem ?? 'Signed out.');
  };

  return (
    <>
      <main className="main account" id="main" tabIndex={-1} aria-labelledby="account-title" data-testid="account-page">
        <div className="page-heading">
          <h2 className="page-title" id="account-title">
            Account
          </h2>
          <p className="account__note" role="status" data-testid="account-note" ref={noteLine} tabIndex={-1}>
            {note}
          </p>
        </div>

        {session === null ? (
          <div className="account__grid">
            <section className="panel">
              <CredentialsForm mode="sign-in" onSubmit={signIn} />
            </section>
            <section className="panel">
              <CredentialsForm mode="register" onSubmit={register} />
            </section>
          </div>
        ) : (
          <section className="panel account__signed-in" aria-labelledby="signed-in-title" data-testid="account-signed-in">
            <h3 className="panel__title" id="signed-in-title" ref={signedInTitle} tabIndex={-1}>
              Signed in as <span data-testid="account-name">{session.username}</span>
            </h3>
            <p className="account__detail">
              {describeExpiry(session.expiresAt, zone)} Timers you set are yours: listed on every device you sign in
              on, and with <code>clocker timer list</code>.
            </p>
            <div className="account__actions">
              <a
                className="button"
                href={TIMERS_HREF}
                onClick={(event) => {
                  event.preventDefault();
                  onNavigate(TIMERS_HREF);
                }}
              >
                Your timers
              </a>
              <button className="button button--quiet" type="button" data-testid="sign-out" onClick={signOut}>
                Sign out
              </button>
            </div>
          </section>
        )}
      </main>

      <footer className="footer">
        <p>
          The session is kept in this tab only (sessionStorage) and sent as a bearer token, never in an address; closing
          the tab forgets it. Signed out, the Timers page shows only the timers this browser set.
        </p>
      </footer>
    </>
  );
}

/** "The session lasts until Tuesday, 5 January 2027, 12:00:00 (UTC)." */
function describeExpiry(expiresAt: string, zone: string): string {
  const at = Date.parse(expiresAt);
  if (Number.isNaN(at)) return '';
  return `The session lasts until ${formatDate(zone, at)}, ${formatTimeOfDay(at, zone)} (${zone}).`;
}
