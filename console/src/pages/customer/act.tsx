// Where an operator's "Open playground as this key" lands, in a tab of its own: the one-time code
// comes in the URL's fragment (never sent to a server, nor in a Referer), is taken off the address
// bar and history at once, and is exchanged for the key's console session.
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'wouter';
import { signInWithCode } from '../../api/customer.ts';
import { ErrorNote } from '../../components/ui.tsx';
import { SESSION_KEY } from '../../session.tsx';

export function ActAsKey() {
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const [missing, setMissing] = useState(false);
  const exchange = useMutation({
    mutationFn: signInWithCode,
    onSuccess: (session) => {
      // Whatever this browser showed of another customer's session is not this key's.
      client.removeQueries({ predicate: (q) => q.queryKey[0] === 'me' });
      client.setQueryData(SESSION_KEY, session);
      navigate('/playground', { replace: true });
    },
  });
  const { mutate } = exchange;
  // Once: the code works once, and React may run an effect twice in development.
  const started = useRef(false);
  useEffect(() => {
    if (started.current) return;
    started.current = true;
    const code = new URLSearchParams(window.location.hash.slice(1)).get('code');
    window.history.replaceState(window.history.state, '', window.location.pathname);
    if (code) mutate(code);
    else setMissing(true);
  }, [mutate]);
  return (
    <>
      <h1>Opening the playground</h1>
      {exchange.isPending ? <p aria-busy="true">Signing in as the key…</p> : null}
      {missing ? <p role="alert">This link carries no console code: open the playground from the operator's key list again.</p> : null}
      <ErrorNote error={exchange.error} />
      {exchange.error || missing ? (
        <p>
          Codes work once, within a minute. <Link href="/sign-in">Sign in with an API key</Link> instead.
        </p>
      ) : null}
    </>
  );
}
