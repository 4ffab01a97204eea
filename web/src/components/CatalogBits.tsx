// Small pieces the catalog pages share: in-app links, problem lists with
// their pointers, key/value tables and the intake progress bar.
import type { MouseEvent, ReactNode } from 'react';
import { formatValue } from '../params';
import { intakeView } from '../catalog';
import type { Navigate } from '../route';
import { CONFLICT_MESSAGE, type SaveState } from '../settings';
import type { CadIntake, PointerProblem } from '../types';
import { pointerWords } from '../words';

/** A link inside the app: a plain click navigates without a reload, a middle click opens a tab. */
/** Marks a test order (placed to try a workflow, not sold) wherever it is shown. */
export function TestOrderBadge({ order, testId }: { order: { test?: boolean }; testId?: string }) {
  if (!order.test) return null;
  return (
    <span className="badge badge-test" title="A test order: placed to try a workflow in the editor. It is not sold, and is left out of order lists and totals by default." data-testid={testId}>
      test
    </span>
  );
}

export function AppLink({ href, navigate, children, className, testId, title }: { href: string; navigate: Navigate; children: ReactNode; className?: string; testId?: string; title?: string }) {
  return (
    <a
      href={href}
      className={className}
      data-testid={testId}
      title={title}
      onClick={(e: MouseEvent) => {
        if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
        e.preventDefault();
        e.stopPropagation();
        navigate(href);
      }}
    >
      {children}
    </a>
  );
}

export interface ProblemItem extends PointerProblem {
  /** where the pointer leads, in words */
  where?: string;
  /** what a click does; without it the item is not clickable */
  onSelect?: () => void;
}

/** The tooltip that keeps a problem's JSON pointer at hand. */
export const pointerTitle = (pointer: string | undefined) => `JSON pointer: ${pointer || '(the whole document)'}`;

/** Problems (or warnings), each saying where in words (the pointer in its tooltip); the ones that lead somewhere are buttons. */
export function PointerList({ items, tone, testId, title }: { items: ProblemItem[]; tone: 'error' | 'warn'; testId?: string; title?: string }) {
  if (!items.length) return null;
  return (
    <div className={`pointer-list pointer-list-${tone}`} data-testid={testId}>
      {title && <div className="pointer-list-title">{title}</div>}
      <ul>
        {items.map((p, i) => {
          const body = (
            <>
              <span className="problem-where">{p.where ?? pointerWords(p.pointer)}</span>
              <span className="problem-message">{p.message}</span>
            </>
          );
          return (
            <li key={i}>
              {p.onSelect ? (
                <button type="button" className="problem" onClick={p.onSelect} data-testid={testId ? `${testId}-${i}` : undefined} data-pointer={p.pointer} title={pointerTitle(p.pointer)}>
                  {body}
                </button>
              ) : (
                <div className="problem problem-static" data-testid={testId ? `${testId}-${i}` : undefined} data-pointer={p.pointer} title={pointerTitle(p.pointer)}>
                  {body}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

export function KvTable({ rows, testId, empty }: { rows: [string, unknown][]; testId?: string; empty?: string }) {
  if (!rows.length) return <p className="muted small">{empty ?? 'Nothing.'}</p>;
  return (
    <table className="kv-table" data-testid={testId}>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <th className="mono">{k}</th>
            <td className="mono">{formatValue(v)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The intake's progress: a bar that follows the run, and what runs now. */
export function IntakeBar({ intake, testId = 'intake-progress' }: { intake: CadIntake | null | undefined; testId?: string }) {
  const v = intakeView(intake);
  return (
    <div className={`intake-bar intake-${v.status}`} data-testid={testId} data-status={v.status}>
      <div
        className="intake-track"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(v.fraction * 100)}
        aria-label="CAD intake progress"
      >
        <div className="intake-fill" style={{ width: `${Math.round(v.fraction * 100)}%` }} />
      </div>
      <span className="intake-label small">{v.label}</span>
    </div>
  );
}

/** The problems pinned on one field, under it. */
export function FieldErrors({ problems, testId }: { problems: readonly PointerProblem[] | undefined; testId?: string }) {
  if (!problems?.length) return null;
  return (
    <ul className="field-problems" data-testid={testId}>
      {problems.map((p, i) => (
        <li key={i}>{p.message}</li>
      ))}
    </ul>
  );
}

export interface ListFrameProps {
  title: string;
  testId: string;
  /** null while loading */
  rows: readonly unknown[] | null;
  error: string;
  onRefresh: () => void;
  /** buttons after Refresh */
  actions?: ReactNode;
  /** notices above the list */
  notices?: ReactNode;
  children: ReactNode;
}

/** A list page: its head with Refresh, then loading, failure, empty, or the list itself. */
export function ListFrame({ title, testId, rows, error, onRefresh, actions, notices, children }: ListFrameProps) {
  return (
    <section data-testid={`${testId}-page`}>
      <div className="page-head">
        <h1>{title}</h1>
        <span className="page-head-spacer" />
        <button type="button" onClick={onRefresh}>
          Refresh
        </button>
        {actions}
      </div>
      {notices}
      {error && <p className="notice notice-error">Cannot list them: {error}</p>}
      {rows === null && !error && <p className="empty">Loading…</p>}
      {rows && rows.length === 0 && <div className="runs-empty">None yet.</div>}
      {rows && rows.length > 0 && children}
    </section>
  );
}

/** A refused save: a conflict with its Reload, or the server's message and the problems no field took. */
export function SaveProblems({ state, rest, onReload, testId }: { state: SaveState; rest: PointerProblem[]; onReload: () => void; testId: string }) {
  if (state.conflict)
    return (
      <div className="notice notice-error notice-action" role="alert" data-testid={`${testId}-conflict`}>
        <span>{CONFLICT_MESSAGE}</span>
        <button type="button" onClick={onReload} data-testid={`${testId}-reload`}>
          Reload
        </button>
      </div>
    );
  return (
    <>
      {state.error && (
        <p className="notice notice-error" role="alert" data-testid={`${testId}-error`}>
          Not saved: {state.error}
        </p>
      )}
      <PointerList items={rest} tone="error" testId={`${testId}-problems`} />
    </>
  );
}
