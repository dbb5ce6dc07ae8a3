// The console's frame: a navigation bar for whoever is signed in, and the pages. Each side's pages
// are behind its own sign-in; the operator's and the customer's can be open in the same tab.
import { lazy, Suspense, type ReactNode } from 'react';
import { Link, Redirect, Route, Switch, useLocation } from 'wouter';
import { signOut } from './api/customer.ts';
import { operatorApi } from './api/operator.ts';
import { Home } from './pages/home.tsx';
import { CustomerSignIn } from './pages/customer/sign-in.tsx';
import { ActAsKey } from './pages/customer/act.tsx';
import { Overview } from './pages/customer/overview.tsx';
import { Tasks } from './pages/customer/tasks.tsx';
import { TaskPage } from './pages/customer/task.tsx';
import { CustomerLogs } from './pages/customer/logs.tsx';
import { OperatorSignIn } from './pages/operator/sign-in.tsx';
import { Users } from './pages/operator/users.tsx';
import { UserPage } from './pages/operator/user.tsx';
import { Channels } from './pages/operator/channels.tsx';
import { OperatorLogs } from './pages/operator/logs.tsx';
import { WebhookDeliveries } from './pages/operator/webhooks.tsx';
import { Dashboard } from './pages/operator/dashboard.tsx';
import { AdminTasks } from './pages/operator/tasks.tsx';
import { AdminTaskPage } from './pages/operator/task.tsx';
import { Pricing } from './pages/operator/pricing.tsx';
import { AdminUsage } from './pages/operator/usage.tsx';
import { Audit } from './pages/operator/audit.tsx';
import { Keys } from './pages/operator/keys.tsx';
import { operatorChanged, useCustomerSession, useForgetCustomer, useForgetOperator, useOperatorScope, useOperatorSignedIn } from './session.tsx';

// The playground is the largest page and only customers who try a model open it.
const Playground = lazy(() => import('./pages/customer/playground.tsx'));

function NavLink({ href, children }: { href: string; children: ReactNode }) {
  const [location] = useLocation();
  return (
    <Link href={href} aria-current={location === href ? 'page' : undefined}>
      {children}
    </Link>
  );
}

function Nav() {
  const session = useCustomerSession();
  const operator = useOperatorSignedIn();
  const forget = useForgetCustomer();
  const forgetOperator = useForgetOperator();
  const { me } = useOperatorScope();
  const [, navigate] = useLocation();
  return (
    <header className="top">
      <Link href="/" className="brand">
        Wan 2.7 gateway
      </Link>
      <nav aria-label="Main">
        {session.data ? (
          <>
            <NavLink href="/overview">Overview</NavLink>
            <NavLink href="/tasks">Tasks</NavLink>
            <NavLink href="/playground">Playground</NavLink>
            <NavLink href="/logs">Logs</NavLink>
            <button
              type="button"
              className="link"
              onClick={async () => {
                await signOut().catch(() => {});
                forget();
                navigate('/sign-in');
              }}
            >
              Sign out
            </button>
          </>
        ) : null}
        {operator ? (
          <>
            <NavLink href="/admin/dashboard">Dashboard</NavLink>
            <NavLink href="/admin/users">Users</NavLink>
            <NavLink href="/admin/keys">Keys</NavLink>
            <NavLink href="/admin/tasks">Tasks</NavLink>
            <NavLink href="/admin/channels">Channels</NavLink>
            <NavLink href="/admin/pricing">Models and groups</NavLink>
            <NavLink href="/admin/usage">Usage</NavLink>
            <NavLink href="/admin/logs">Quota logs</NavLink>
            <NavLink href="/admin/webhooks">Webhooks</NavLink>
            <NavLink href="/admin/audit">Audit</NavLink>
            {me ? (
              <span className="who" data-testid="operator-scope">
                {me.name} ({me.scope === 'read' ? 'read-only' : 'read and write'})
              </span>
            ) : null}
            <button
              type="button"
              className="link"
              onClick={() => {
                operatorApi.signOut();
                forgetOperator();
                operatorChanged();
                navigate('/admin');
              }}
            >
              Operator sign out
            </button>
          </>
        ) : null}
      </nav>
    </header>
  );
}

/** An operator's session for a key says so on every page: what is done here is the key's, on the operator's behalf. */
function ActingFor() {
  const session = useCustomerSession().data;
  if (!session?.opened_by) return null;
  return (
    <p className="notice" role="status" data-testid="acting-for">
      Acting for API key {session.key_id} (user {session.user_id}), opened by operator {session.opened_by}: tasks made here are charged to this key.
    </p>
  );
}

function CustomerOnly({ children }: { children: ReactNode }) {
  const session = useCustomerSession();
  if (session.isPending) return <p aria-busy="true">Loading…</p>;
  if (!session.data) return <Redirect to="/sign-in" />;
  return <>{children}</>;
}

function OperatorOnly({ children }: { children: ReactNode }) {
  return useOperatorSignedIn() ? <>{children}</> : <Redirect to="/admin" />;
}

export function App() {
  return (
    <>
      <Nav />
      <main>
        <ActingFor />
        <Suspense fallback={<p aria-busy="true">Loading…</p>}>
          <Switch>
            <Route path="/" component={Home} />
            <Route path="/sign-in" component={CustomerSignIn} />
            <Route path="/act" component={ActAsKey} />
            <Route path="/overview">{() => <CustomerOnly><Overview /></CustomerOnly>}</Route>
            <Route path="/tasks">{() => <CustomerOnly><Tasks /></CustomerOnly>}</Route>
            <Route path="/tasks/:id">{(params) => <CustomerOnly><TaskPage id={params.id} /></CustomerOnly>}</Route>
            <Route path="/playground">{() => <CustomerOnly><Playground /></CustomerOnly>}</Route>
            <Route path="/logs">{() => <CustomerOnly><CustomerLogs /></CustomerOnly>}</Route>
            <Route path="/admin" component={OperatorSignIn} />
            <Route path="/admin/dashboard">{() => <OperatorOnly><Dashboard /></OperatorOnly>}</Route>
            <Route path="/admin/tasks">{() => <OperatorOnly><AdminTasks /></OperatorOnly>}</Route>
            <Route path="/admin/tasks/:id">{(params) => <OperatorOnly><AdminTaskPage id={params.id} /></OperatorOnly>}</Route>
            <Route path="/admin/pricing">{() => <OperatorOnly><Pricing /></OperatorOnly>}</Route>
            <Route path="/admin/usage">{() => <OperatorOnly><AdminUsage /></OperatorOnly>}</Route>
            <Route path="/admin/keys">{() => <OperatorOnly><Keys /></OperatorOnly>}</Route>
            <Route path="/admin/audit">{() => <OperatorOnly><Audit /></OperatorOnly>}</Route>
            <Route path="/admin/users">{() => <OperatorOnly><Users /></OperatorOnly>}</Route>
            <Route path="/admin/users/:id">{(params) => <OperatorOnly><UserPage id={Number(params.id)} /></OperatorOnly>}</Route>
            <Route path="/admin/channels">{() => <OperatorOnly><Channels /></OperatorOnly>}</Route>
            <Route path="/admin/logs">{() => <OperatorOnly><OperatorLogs /></OperatorOnly>}</Route>
            <Route path="/admin/webhooks">{() => <OperatorOnly><WebhookDeliveries /></OperatorOnly>}</Route>
            <Route>
              <h1>Not found</h1>
              <p>
                No such page. <Link href="/">Start here</Link>.
              </p>
            </Route>
          </Switch>
        </Suspense>
      </main>
    </>
  );
}
