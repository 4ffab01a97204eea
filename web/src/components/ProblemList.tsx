import { describeTarget, type Problem } from '../problems';

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
              <button type="button" className="problem" onClick={() => onSelect(p)} data-testid={`problem-${i}`}>
                <span className="problem-where">{describeTarget(p.target)}</span>
                <span className="problem-message">{p.message}</span>
                <span className="problem-pointer mono">{p.pointer}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
