import { useLocation } from 'wouter';
import { operatorApi } from '../../api/operator.ts';
import { SecretSignIn } from '../../components/secret-sign-in.tsx';
import { operatorChanged, useForgetOperator, useOperatorSignedIn } from '../../session.tsx';

export function OperatorSignIn() {
  const [, navigate] = useLocation();
  const signedIn = useOperatorSignedIn();
  const forget = useForgetOperator();
  return (
    <>
      <h1>Operator sign-in</h1>
      {signedIn ? <p>This tab is signed in as an operator.</p> : null}
      <SecretSignIn
        label="Admin token"
        hint="Kept by this tab only, until it closes; sent to this gateway's /admin API only."
        signIn={operatorApi.signIn}
        onDone={() => {
          forget();
          operatorChanged();
          navigate('/admin/dashboard');
        }}
      />
    </>
  );
}
