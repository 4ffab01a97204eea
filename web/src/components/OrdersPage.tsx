// The orders, newest first, with their totals. Test orders (the editor's
// trials) are left out unless asked for, and marked when shown.
import { orderTitle } from '../words';
import { useEffect, useState } from 'react';
import { api } from '../api';
import { formatMoney } from '../catalog';
import type { Navigate } from '../route';
import { formatWhen } from '../runs';
import type { Order } from '../types';
import { AppLink, TestOrderBadge } from './CatalogBits';

export function OrdersPage({ navigate }: { navigate: Navigate }) {
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [error, setError] = useState('');
  const [withTest, setWithTest] = useState(false);
  useEffect(() => {
    let live = true;
    api.orders(withTest ? 'include' : undefined).then(
      (r) => live && setOrders([...r.orders].sort((a, b) => (b.created_at ?? '').localeCompare(a.created_at ?? ''))),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [withTest]);
  return (
    <main className="runs-page catalog-page" data-testid="orders-page">
      <div className="page-head">
        <h1>Orders</h1>
        <span className="page-head-spacer" />
        <label className="checkbox-row small" title="Orders placed to try a workflow in the editor; they are not sold.">
          <input type="checkbox" checked={withTest} onChange={(e) => setWithTest(e.target.checked)} data-testid="orders-show-test" />
          Show test orders
        </label>
        <button type="button" className="primary" onClick={() => navigate('/orders/new')} data-testid="order-new">
          New order
        </button>
      </div>
      {error && <p className="notice notice-error">Cannot list orders: {error}</p>}
      {orders === null && !error && <p className="empty">Loading orders…</p>}
      {orders && orders.length === 0 && <div className="runs-empty">No orders yet.</div>}
      {orders && orders.length > 0 && (
        <table className="runs-table" data-testid="orders-table">
          <thead>
            <tr>
              <th>Order</th>
              <th>Customer</th>
              <th>Lines</th>
              <th className="num">Total</th>
              <th>Created</th>
            </tr>
          </thead>
          <tbody>
            {orders.map((o) => (
              <tr key={o.id} className="runs-row" onClick={() => navigate(`/orders/${encodeURIComponent(o.id)}`)} data-testid={`order-row-${o.id}`}>
                <td>
                  <AppLink href={`/orders/${encodeURIComponent(o.id)}`} navigate={navigate} className="strong" testId={`order-title-${o.id}`}>
                    {orderTitle(o)}
                  </AppLink>
                  <TestOrderBadge order={o} testId={`order-test-${o.id}`} />
                  <div className="mono muted small" title="The order's id">
                    {o.id}
                  </div>
                </td>
                <td>{o.customer ?? <span className="muted">—</span>}</td>
                <td>{o.lines.length}</td>
                <td className="num">{formatMoney(o.total, o.currency)}</td>
                <td className="small" title={o.created_at}>
                  {formatWhen(o.created_at)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
