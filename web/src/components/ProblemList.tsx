import { describeTarget, parsePointer, type Problem } from '../problems';
import { pointerWords } from '../words';
import { pointerTitle } from './CatalogBits';

/** "node render › Parameters › Width": the target, then the field in words. */
function problemWhere(p: Problem): string {
  const t = p.target;
  const skip = t.kind === 'node' || t.kind === 'edge' ? 2 : t.kind === 'invocation' ? (t.name ? 3 : 2) : 0;
  const rest = parsePointer(p.pointer).length > skip ? pointerWords(p.pointer, skip) : '';
  if (t.kind === 'workflow') return p.pointer ? `workflow › ${pointerWords(p.pointer)}` : 'workflow';
  return rest ? `${describeTarget(t)} › ${rest}` : describeTarget(t);
}

export interface ProblemListProps {
  problems: Problem[];
  checked: boolean;
  stale: boolean;
  onSelect: (p: Problem) => void;
}

/** What the last check found, in a few words, for the status bar (the list itself shows only when there are problems). */
export function ProblemSummary({ count, checked, stale }: { count: number; checked: boolean; stale: boolean }) {
  const text = !checked ? 'Not validated yet' : count ? `${count} problem${count === 1 ? '' : 's'}` : 'No problems found';
  return (
    <span className={`problem-summary${checked && !count ? ' ok' : ''}${count ? ' has-problems' : ''}`} data-testid="problem-summary" title={!checked ? 'Checked on its own once you change the workflow; Validate checks it now' : undefined}>
      {text}
      {stale && <span className="muted" data-testid="problems-checking"> · checking…</span>}
    </span>
  );
}

/** The problems of the last check; nothing at all (no space taken) when there are none. */
export function ProblemList({ problems, checked, stale, onSelect }: ProblemListProps) {
  if (!problems.length) return null;
  return (
    <div className="problems" data-testid="problem-list">
      <div className="problems-head">
        <span className="strong">Problems</span>
        <span className="badge badge-error">{problems.length}</span>
        {stale && checked && <span className="muted small">Checking the latest changes…</span>}
      </div>
      <ul className="problems-list">
        {problems.map((p, i) => (
          <li key={i}>
            <button type="button" className="problem" onClick={() => onSelect(p)} data-testid={`problem-${i}`} data-pointer={p.pointer} title={pointerTitle(p.pointer)}>
              <span className="problem-where">{problemWhere(p)}</span>
              <span className="problem-message">{p.message}</span>
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
