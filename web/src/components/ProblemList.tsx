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

export function ProblemList({ problems, checked, stale, onSelect }: ProblemListProps) {
  return (
    <div className="problems" data-testid="problem-list">
      <div className="problems-head">
        <span className="strong">Problems</span>
        {problems.length > 0 && <span className="badge badge-error">{problems.length}</span>}
        {!checked && <span className="muted small">Not validated yet: press Validate or save.</span>}
        {checked && problems.length === 0 && <span className="ok small">The server found no problems.</span>}
        {stale && checked && <span className="muted small">Edited since the last check.</span>}
      </div>
      {problems.length > 0 && (
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
      )}
    </div>
  );
}
