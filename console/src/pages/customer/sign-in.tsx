import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { signIn } from '../../api/customer.ts';
import { ErrorNote, Field } from '../../components/ui.tsx';
import { SESSION_KEY } from '../../session.ts';

export function CustomerSignIn() {
  const [key, setKey] = useState('');
  const [, navigate] = useLocation();
  const client = useQueryClient();
  const mutation = useMutation({
    mutationFn: () => signIn(key.trim()),
    onSuccess: (session) => {
      // The key is not kept anywhere: from here on the browser holds only the session cookie.
      setKey('');
      client.setQueryData(SESSION_KEY, session);
      navigate('/overview');
    },
  });
  return (
    <>
      <h1>Customer sign-in</h1>
      <form
        className="card narrow"
        onSubmit={(event) => {
          event.preventDefault();
          mutation.mutate();
        }}
      >
        <Field label="API key" hint="It opens a session of one hour in this browser; the key itself is not stored.">
          {(id) => <input id={id} type="password" autoComplete="off" required value={key} onChange={(e) => setKey(e.target.value)} placeholder="sk-..." />}
        </Field>
        <ErrorNote error={mutation.error} />
        <button type="submit" disabled={mutation.isPending}>
          Sign in
        </button>
      </form>
    </>
  );
}
