// Charged and refunded quota per day or per model, with the figures in a table too (for screen
// readers and for exact numbers).
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { UsageRow } from '../api/customer.ts';
import { QUOTA_PER_USD, usd } from '../api/http.ts';
import { Table } from '../components/ui.tsx';

export default function UsageChart({ rows }: { rows: UsageRow[] }) {
  if (rows.length === 0) return <p>No usage in this period.</p>;
  const data = rows.map((row) => ({ name: row.group, charged: row.charged_quota / QUOTA_PER_USD, refunded: row.refunded_quota / QUOTA_PER_USD }));
  return (
    <>
      <div className="chart" aria-hidden="true">
        <ResponsiveContainer width="100%" height={240}>
          <BarChart data={data}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" fontSize={12} />
            <YAxis fontSize={12} unit="$" />
            <Tooltip formatter={(value) => `$${Number(value).toFixed(2)}`} />
            <Legend />
            <Bar dataKey="charged" name="charged (USD)" fill="#2563eb" />
            <Bar dataKey="refunded" name="refunded (USD)" fill="#f59e0b" />
          </BarChart>
        </ResponsiveContainer>
      </div>
      <Table caption="Usage" head={['', 'Tasks', 'Charged', 'Refunded', 'Net']}>
        {rows.filter((row) => row.tasks > 0 || row.refunded_quota > 0).map((row) => (
          <tr key={row.group}>
            <th scope="row">{row.group}</th>
            <td className="num">{row.tasks}</td>
            <td className="num">{usd(row.charged_quota)}</td>
            <td className="num">{usd(row.refunded_quota)}</td>
            <td className="num" data-testid={`usage-net-${row.group}`}>
              {usd(row.net_quota)}
            </td>
          </tr>
        ))}
      </Table>
    </>
  );
}
