import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useLocation } from 'wouter';
import { operatorApi } from '../../api/operator.ts';
import { ErrorNote, Field } from '../../components/ui.tsx';
import { operatorChanged, useOperatorSignedIn } from '../../session.ts';

export function OperatorSignIn() {
  const [token, setToken] = useState('');
  const [, navigate] = useLocation();
  const signedIn = useOperatorSignedIn();
  const mutation = useMutation({
    mutationFn: () => operatorApi.signIn(token.trim()),
    onSuccess: () => {
      setToken('');
      operatorChanged();
      navigate('/admin/users');
    },
  });
  return (
    <>
      <h1>Operator sign-in</h1>
      {signedIn ? <p>This tab is signed in as an operator.</p> : null}
      <form
        className="card narrow"
        onSubmit={(event) => {
          event.preventDefault();
          mutation.mutate();
        }}
      >
        <Field label="Admin token" hint="Kept by this tab only, until it closes; sent to this gateway's /admin API only.">
          {(id) => <input id={id} type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} />}
        </Field>
        <ErrorNote error={mutation.error} />
        <button type="submit" disabled={mutation.isPending}>
          Sign in
        </button>
      </form>
    </>
  );
}
