import { Link } from 'wouter';

export function Home() {
  return (
    <>
      <h1>Console</h1>
      <div className="grid">
        <section className="card" aria-labelledby="customers">
          <h2 id="customers">Customers</h2>
          <p>Your balance, usage, tasks and videos, and a playground for every model. Sign in with one of your API keys.</p>
          <Link href="/sign-in" className="button">
            Customer sign-in
          </Link>
        </section>
        <section className="card" aria-labelledby="operators">
          <h2 id="operators">Operators</h2>
          <p>Users, quota, API keys, upstream channels, quota logs and webhook deliveries. Sign in with the admin token.</p>
          <Link href="/admin" className="button">
            Operator sign-in
          </Link>
        </section>
      </div>
    </>
  );
}
