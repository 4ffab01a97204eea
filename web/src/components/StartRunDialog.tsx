// Start a run: a stored workflow or a starter, the family's entry context and
// invocation overrides as JSON. The server checks everything and answers every
// problem with a JSON pointer into the request; they are listed here.
import { useEffect, useMemo, useState } from 'react';
import { api } from '../api';
import { contextTemplate, formatValue, parseJsonObject } from '../runs';
import type { Family, Invocation, WorkflowDoc, WorkflowSummary } from '../types';
import { useRunStart } from '../useRunStart';
import { Modal } from './Modal';
import { RunDialogActions, RunForm, RunProblems } from './RunDialogParts';

export interface StartRunDialogProps {
  families: Family[];
  onStarted: (runId: string) => void;
  onClose: () => void;
}

interface Choice {
  key: string;
  id: string;
  name: string;
  family: string;
  starter?: WorkflowDoc;
  version?: number;
}

const pretty = (v: unknown) => JSON.stringify(v, null, 2);

export function StartRunDialog({ families, onStarted, onClose }: StartRunDialogProps) {
  const [stored, setStored] = useState<WorkflowSummary[] | null>(null);
  const [starters, setStarters] = useState<WorkflowDoc[] | null>(null);
  const [loadError, setLoadError] = useState('');
  const [key, setKey] = useState('');
  const [contextText, setContextText] = useState('');
  const [contextEdited, setContextEdited] = useState(false);
  const [overridesText, setOverridesText] = useState('{}');
  const [invocation, setInvocation] = useState<Record<string, Invocation | string>>({});
  const run = useRunStart();
  const { errors } = run;

  useEffect(() => {
    let live = true;
    Promise.all([api.list(), api.starters()]).then(
      ([w, s]) => {
        if (!live) return;
        setStored(w.workflows);
        setStarters(s.starters);
      },
      (e: Error) => live && setLoadError(e.message),
    );
    return () => {
      live = false;
    };
  }, []);

  const choices = useMemo<Choice[]>(
    () => [
      ...(stored ?? []).map((w) => ({ key: `stored:${w.id}`, id: w.id, name: w.name, family: w.family, version: w.latest_version })),
      ...(starters ?? []).map((s) => ({ key: `starter:${s.id}`, id: s.id, name: s.name, family: s.family, starter: s })),
    ],
    [stored, starters],
  );
  const choice = choices.find((c) => c.key === key) ?? choices[0];
  const family = families.find((f) => f.key === choice?.family);

  // A fresh context for the chosen family, until the user edits it.
  useEffect(() => {
    if (!contextEdited) setContextText(pretty(contextTemplate(family?.context_schema)));
  }, [family, contextEdited]);

  // The invocation parameters the workflow takes, for the overrides hint.
  useEffect(() => {
    if (!choice || choice.key in invocation) return;
    if (choice.starter) {
      setInvocation((m) => ({ ...m, [choice.key]: choice.starter!.invocation ?? { params: {}, artifacts: {} } }));
      return;
    }
    setInvocation((m) => ({ ...m, [choice.key]: 'loading' }));
    api.get(choice.id).then(
      (d) => setInvocation((m) => ({ ...m, [choice.key]: d.invocation ?? { params: {}, artifacts: {} } })),
      (e: Error) => setInvocation((m) => ({ ...m, [choice.key]: e.message })),
    );
  }, [choice, invocation]);
  const inv = choice ? invocation[choice.key] : undefined;

  const submit = () => {
    if (!choice) return;
    const ctx = parseJsonObject(contextText, '/context');
    const ovr = parseJsonObject(overridesText, '/overrides');
    const local = [ctx, ovr].flatMap((r) => ('error' in r ? [r.error] : []));
    if (local.length) {
      run.refuse('The request is not sent: fix the JSON first.', local);
      return;
    }
    const overrides = 'value' in ovr ? ovr.value : {};
    run.start(async () => {
      const accepted = await api.startRun({
        workflow: choice.version ? { id: choice.id, version: choice.version } : { id: choice.id },
        context: 'value' in ctx ? ctx.value : {},
        ...(Object.keys(overrides).length ? { overrides } : {}),
      });
      onStarted(accepted.id);
    });
  };

  const errorAt = (prefix: string) => errors.some((e) => e.pointer === prefix || e.pointer.startsWith(`${prefix}/`));
  const groups = [...new Set(choices.map((c) => c.family))];

  return (
    <Modal title="Start a run" onClose={onClose} testId="start-run-dialog" wide>
      <RunForm onSubmit={submit}>
        {loadError && <p className="notice notice-error">Cannot list workflows: {loadError}</p>}
        <div className="field-row">
          <label htmlFor="start-run-workflow">Workflow</label>
          <select
            id="start-run-workflow"
            value={choice?.key ?? ''}
            onChange={(e) => {
              setKey(e.target.value);
              run.refuse('', []);
            }}
            disabled={!choices.length}
            data-testid="start-run-workflow"
          >
            {!choices.length && <option value="">{stored && starters ? 'No workflows' : 'Loading…'}</option>}
            {groups.map((g) => (
              <optgroup key={g} label={families.find((f) => f.key === g)?.label ?? g}>
                {choices
                  .filter((c) => c.family === g)
                  .map((c) => (
                    <option key={c.key} value={c.key}>
                      {c.name} ({c.starter ? 'starter' : `v${c.version}`}) · {c.id}
                    </option>
                  ))}
              </optgroup>
            ))}
          </select>
        </div>
        {family?.description && <p className="muted small start-run-family">{family.description}</p>}

        <label htmlFor="start-run-context" className="block-label">
          Context <span className="muted small">— the {family?.label ?? choice?.family ?? ''} entry context, JSON</span>
        </label>
        <textarea
          id="start-run-context"
          className={`mono${errorAt('/context') ? ' input-error' : ''}`}
          rows={5}
          spellCheck={false}
          value={contextText}
          onChange={(e) => {
            setContextText(e.target.value);
            setContextEdited(true);
          }}
          data-testid="start-run-context"
        />
        <label htmlFor="start-run-overrides" className="block-label">
          Overrides <span className="muted small">— invocation parameter → value, JSON</span>
        </label>
        <textarea
          id="start-run-overrides"
          className={`mono${errorAt('/overrides') ? ' input-error' : ''}`}
          rows={3}
          spellCheck={false}
          value={overridesText}
          onChange={(e) => setOverridesText(e.target.value)}
          data-testid="start-run-overrides"
        />
        {inv === 'loading' && <p className="muted small">Loading the workflow’s parameters…</p>}
        {typeof inv === 'string' && inv !== 'loading' && <p className="muted small">Cannot load the workflow’s parameters: {inv}</p>}
        {typeof inv === 'object' && (
          <p className="muted small" data-testid="start-run-params">
            {Object.keys(inv.params).length === 0
              ? 'This workflow takes no invocation parameters.'
              : Object.entries(inv.params).map(([name, p], i) => (
                  <span key={name}>
                    {i > 0 && ' · '}
                    <span className="mono">{name}</span>
                    {typeof p.schema?.title === 'string' && ` (${p.schema.title})`}
                    {'default' in (p.schema ?? {}) && `, default ${formatValue(p.schema.default)}`}
                  </span>
                ))}
          </p>
        )}

        <RunProblems message={run.message} errors={errors} testId="start-run-errors" rawPointers />
        <RunDialogActions onCancel={onClose} disabled={!choice} busy={run.busy} testId="start-run-submit" />
      </RunForm>
    </Modal>
  );
}
