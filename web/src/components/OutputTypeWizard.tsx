// Create or edit an output type, step by step in the seed's order: family,
// workflow (pick one, or create one in the workflow editor and come back),
// artifact kind, invocation overrides, commercial settings, review. Every
// form is built from GET /api/output-types/schema (with ?workflow= for the
// overrides); the server checks the draft at each step and its problems are
// pinned to their fields by pointer, once the user touched the field or
// pressed Next (a fresh page is not a list of complaints). Next goes on
// after a clean check and shows the step's problems otherwise. Choosing a
// workflow makes the rollout "graph"; a list with one choice has it chosen.
import { categoriesText, categoryLabel } from '../words';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api } from '../api';
import { settingRows, tierPrice } from '../catalog';
import { properties, schemaDefaults } from '../params';
import { routeUrl, type CatalogRoute, type Navigate } from '../route';
import { CONFLICT_MESSAGE, saveFailure } from '../settings';
import type { Category, DraftResult, JSONSchema, OutputType, PricingTier, WorkflowLink } from '../types';
import { slugify } from '../workflow';
import {
  changedFields,
  chooseWorkflow,
  draftOf,
  errorTree,
  fieldsOfStep,
  initialDraft,
  nextAction,
  onlyChoice,
  pickSchema,
  placeProblems,
  reachable,
  shownProblems,
  wizardUrl,
  withoutUnknownOverrides,
  withRevision,
  type PlacedProblem,
  type StepCheck,
} from '../wizard';
import { KvTable, PointerList, type ProblemItem } from './CatalogBits';
import type { CatalogBoot } from './CatalogView';
import { ParamForm } from './ParamForm';

const STORE_KEY = 'prodflow.output-type-wizard';
const CHECK_DELAY_MS = 250;

interface Saved {
  target: string;
  draft: OutputType;
  step: string;
  furthest: string;
  /** the stored revision the edit started from, sent back with the save */
  revision?: number;
}

function stepTitle(step: string): string {
  const t = step.replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
}

function readSaved(target: string): Saved | null {
  try {
    const s = JSON.parse(sessionStorage.getItem(STORE_KEY) ?? 'null') as Saved | null;
    return s && s.target === target ? s : null;
  } catch {
    return null;
  }
}

/** A field's problems, shown under it. */
function FieldProblems({ problems, testId }: { problems: PlacedProblem[]; testId: string }) {
  if (!problems.length) return null;
  return (
    <ul className="field-problems" data-testid={testId}>
      {problems.map((p, i) => (
        <li key={i}>
          {p.message} <span className="mono muted small">{p.pointer}</span>
        </li>
      ))}
    </ul>
  );
}

type WizardRoute = Extract<CatalogRoute, { view: 'output-type-wizard' }>;

export function OutputTypeWizard({ boot, route, navigate }: { boot: CatalogBoot; route: WizardRoute; navigate: Navigate }) {
  const target = route.target;
  const isNew = target === 'new';
  const initialSteps = useMemo(() => {
    const e = properties(boot.apiSchemas.DraftRequest).step?.enum;
    return Array.isArray(e) ? (e as string[]) : [];
  }, [boot]);
  const [steps, setSteps] = useState<string[]>(initialSteps);
  const [baseSchema, setBaseSchema] = useState<JSONSchema | undefined>();
  const [wfSchema, setWfSchema] = useState<{ key: string; schema: JSONSchema } | null>(null);
  const [draft, setDraft] = useState<OutputType | null>(null);
  const [step, setStep] = useState<string>('');
  const [furthest, setFurthest] = useState<string>('');
  const [check, setCheck] = useState<StepCheck | null>(null);
  const [options, setOptions] = useState<DraftResult['options']>({});
  const [checking, setChecking] = useState(false);
  const [loadError, setLoadError] = useState('');
  const [checkError, setCheckError] = useState('');
  const [saving, setSaving] = useState(false);
  const [saveProblems, setSaveProblems] = useState<PlacedProblem[] | null>(null);
  const [saveError, setSaveError] = useState('');
  // The revision the edit started from: a save that would overwrite a newer one is refused (409).
  const [revision, setRevision] = useState<number | undefined>(undefined);
  // Overrides dropped because the chosen workflow version lacks their parameters, said once.
  const [dropped, setDropped] = useState('');
  const [tiers, setTiers] = useState<PricingTier[]>([]);
  const [categories, setCategories] = useState<Category[]>([]);
  const [keyTouched, setKeyTouched] = useState(!isNew);
  /** fields the user changed (first pointer tokens): their problems show */
  const [touched, setTouched] = useState<ReadonlySet<string>>(() => new Set());
  /** steps where Next was pressed: all their problems show */
  const [nextPressed, setNextPressed] = useState<ReadonlySet<string>>(() => new Set());
  // A rollout that came with the route (the list's "switch to shadow") was chosen.
  const [rolloutTouched, setRolloutTouched] = useState(!!route.rollout);
  const seq = useRef(0);

  // ---- load: the schema, the stored output type, a draft left for the editor
  useEffect(() => {
    let live = true;
    (async () => {
      try {
        const [schema, stored, t, c] = await Promise.all([
          api.outputTypeSchema(),
          isNew ? Promise.resolve(null) : api.outputType(target),
          api.pricingTiers().catch(() => ({ pricing_tiers: [] })),
          api.categories().catch(() => ({ categories: [] })),
        ]);
        if (!live) return;
        setBaseSchema(schema);
        setTiers(t.pricing_tiers);
        setCategories(c.categories);
        const params = new URLSearchParams(window.location.search);
        const saved = route.workflow || params.get('resume') ? readSaved(target) : null;
        let d: OutputType = saved?.draft ?? (stored ? draftOf(stored, schema) : initialDraft(schema));
        if (route.workflow) d = { ...d, workflow: route.workflow };
        if (route.rollout) d = { ...d, rollout: route.rollout };
        const first = initialSteps[0] ?? '';
        const last = initialSteps[initialSteps.length - 1] ?? first;
        const want = route.step && initialSteps.includes(route.step) ? route.step : (saved?.step ?? first);
        setDraft(d);
        setRevision(saved ? saved.revision : stored?.revision);
        setStep(want);
        // An existing output type is complete: every step is open.
        setFurthest(saved?.furthest ?? (isNew ? want : last));
        window.history.replaceState(null, '', wizardUrl(target, want));
      } catch (e) {
        if (live) setLoadError((e as Error).message);
      }
    })();
    return () => {
      live = false;
    };
    // Only the route this wizard was opened with matters.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // The linked workflow's schema: its invocation parameters become the overrides form.
  const wf = draft?.workflow ?? null;
  const wfKey = wf ? `${wf.id}@${wf.version}` : '';
  useEffect(() => {
    if (!wf) return;
    let live = true;
    api.outputTypeSchema(wf).then(
      (s) => live && setWfSchema({ key: wfKey, schema: s }),
      () => live && setWfSchema({ key: wfKey, schema: {} }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [wfKey]);
  const schema = wf && wfSchema?.key === wfKey && properties(wfSchema.schema).overrides ? wfSchema.schema : baseSchema;
  const overridesSchema = wf && wfSchema?.key === wfKey ? (properties(wfSchema.schema).overrides as JSONSchema | undefined) : undefined;
  useEffect(() => {
    if (!draft || !wf) return;
    const r = withoutUnknownOverrides(draft, overridesSchema);
    if (!r.dropped.length) return;
    setDraft(r.draft);
    const names = r.dropped.map((k) => `“${k}”`).join(', ');
    setDropped(`${wf.id} v${wf.version} has no parameter ${names}, so ${r.dropped.length === 1 ? 'its override was' : 'their overrides were'} taken out. Save to store the output type without.`);
    // Only a newly known schema can leave overrides without a parameter.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [overridesSchema]);

  // ---- the server's check of this step, after each pause in editing
  const draftJson = useMemo(() => (draft ? JSON.stringify(draft) : ''), [draft]);
  useEffect(() => {
    if (!draft || !step) return;
    const n = ++seq.current;
    setChecking(true);
    const t = setTimeout(async () => {
      try {
        const r = await api.validateDraft(step, draft);
        if (n !== seq.current) return;
        setCheck({ step, draft: draftJson, valid: r.valid, errors: r.errors ?? [] });
        setOptions(r.options ?? {});
        if (Array.isArray(r.steps) && r.steps.length) setSteps(r.steps);
        setCheckError('');
      } catch (e) {
        if (n === seq.current) setCheckError((e as Error).message);
      } finally {
        if (n === seq.current) setChecking(false);
      }
    }, CHECK_DELAY_MS);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draftJson, step]);

  // Kept for the round trip through the workflow editor and for reloads.
  useEffect(() => {
    if (draft && step) sessionStorage.setItem(STORE_KEY, JSON.stringify({ target, draft, step, furthest, revision } satisfies Saved));
  }, [draft, step, furthest, target, revision]);

  const goStep = useCallback(
    (s: string) => {
      setStep(s);
      setSaveProblems(null);
      setSaveError('');
      if (steps.indexOf(s) > steps.indexOf(furthest)) setFurthest(s);
      window.history.replaceState(null, '', wizardUrl(target, s));
    },
    [steps, furthest, target],
  );

  const current = check && check.step === step && check.draft === draftJson ? check : null;
  const allProblems = useMemo(() => placeProblems(saveProblems ?? current?.errors ?? [], schema), [saveProblems, current, schema]);
  // What a save refused always shows: the user asked for it.
  const problems = useMemo(
    () => (saveProblems ? allProblems : shownProblems(allProblems, touched, nextPressed.has(step))),
    [allProblems, saveProblems, touched, nextPressed, step],
  );
  const hidden = allProblems.length - problems.length;
  const next = checking ? 'wait' : nextAction(check, step, draftJson, steps);
  const touch = (fields: readonly string[]) => {
    if (!fields.length) return;
    setTouched((t) => (fields.every((f) => t.has(f)) ? t : new Set([...t, ...fields])));
    if (fields.includes('rollout')) setRolloutTouched(true);
  };
  const pressNext = () => {
    if (next === 'advance') goStep(steps[stepIndex + 1]);
    else if (next === 'show-problems') setNextPressed((p) => new Set([...p, step]));
  };

  // A list that offers one choice has it chosen: the kind a workflow
  // delivers, a family or pricing tier the schema allows alone. (A
  // workflow is never alone: "no workflow" is a choice too, where offered.)
  useEffect(() => {
    if (!draft) return;
    const patch: Record<string, unknown> = {};
    const kind = onlyChoice(draft.artifact_kind, options.artifact_kinds);
    if (kind !== undefined) patch.artifact_kind = kind;
    const noneOffered = properties(schema).workflow?.default === null;
    const wfs = options.workflows;
    if (wfs && wfs.length === 1 && !noneOffered && !draft.workflow) Object.assign(patch, chooseWorkflow(draft, { id: wfs[0].id, version: wfs[0].version }, rolloutTouched));
    for (const k of ['family', 'pricing_tier']) {
      const e = properties(schema)[k]?.enum;
      const only = (draft as Record<string, unknown>)[k] === undefined ? onlyChoice(undefined, Array.isArray(e) ? e : undefined) : undefined;
      if (only !== undefined) patch[k] = only;
    }
    if (Object.keys(patch).length) setDraft((d) => (d ? ({ ...d, ...patch } as OutputType) : d));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [options, schema]);
  const stepIndex = steps.indexOf(step);
  const open = reachable(steps, furthest);

  // ---- editing helpers
  const defaults = useMemo(() => schemaDefaults(schema), [schema]);
  /** A step form's values into the draft; a field the form dropped takes its schema default again. */
  const setFields = (fields: readonly string[], values: Record<string, unknown>) => {
    if (draft) touch(changedFields(draft as Record<string, unknown>, values, fields.filter((k) => k in values)));
    setDraft((d) => {
      if (!d) return d;
      const next: Record<string, unknown> = { ...d };
      for (const k of fields) {
        if (k in values && values[k] !== undefined) next[k] = values[k];
        else if (k in defaults) next[k] = structuredClone(defaults[k]);
        else delete next[k];
      }
      if (isNew && !keyTouched && typeof next.name === 'string' && next.name !== d.name) {
        const slug = slugify(next.name).replace(/-/g, '_').replace(/^[^a-z]+/, '');
        if (slug) next.key = slug;
        else delete next.key;
      }
      return next as OutputType;
    });
  };
  const pick = (fields: readonly string[]) => Object.fromEntries(fields.filter((k) => draft && k in draft).map((k) => [k, (draft as Record<string, unknown>)[k]]));
  const fieldErrors = (path0: string) => problems.filter((p) => p.path[0] === path0);

  /** Problems this page shows in its list: other steps' ones lead there on click. */
  const listed = (pinned: (p: PlacedProblem) => boolean): ProblemItem[] =>
    problems
      .filter((p) => !(p.step === step && pinned(p)))
      .map((p) => ({
        ...p,
        where: p.step && p.step !== step ? `${stepTitle(p.step)} step` : p.path[0] ? p.path.join(' › ') : undefined,
        onSelect: p.step && p.step !== step && open.includes(p.step) ? () => goStep(p.step!) : undefined,
      }));

  const createWorkflow = () => {
    if (!draft) return;
    sessionStorage.setItem(STORE_KEY, JSON.stringify({ target, draft, step, furthest, revision } satisfies Saved));
    const back = new URL(wizardUrl(target, step), window.location.origin);
    back.searchParams.set('resume', '1');
    navigate(routeUrl({ view: 'editor', newFamily: String(draft.family ?? ''), returnTo: back.pathname + back.search }));
  };

  const save = async () => {
    if (!draft) return;
    setSaving(true);
    setSaveError('');
    try {
      const stored = isNew ? await api.createOutputType(draft) : await api.updateOutputType(target, withRevision(draft, revision));
      sessionStorage.removeItem(STORE_KEY);
      navigate(`/output-types?saved=${encodeURIComponent(stored.key)}`);
    } catch (e) {
      const f = saveFailure(e);
      // A conflict is not the draft's fault: said in words, not pinned to a field.
      if (f.problems.length && !f.conflict) setSaveProblems(placeProblems(f.problems, schema));
      setSaveError(f.conflict ? CONFLICT_MESSAGE : f.error);
    } finally {
      setSaving(false);
    }
  };

  if (loadError) return <main className="runs-page catalog-page"><p className="notice notice-error">Cannot open the wizard: {loadError}</p></main>;
  if (!draft || !schema) return <main className="runs-page catalog-page"><p className="empty">Loading the output-type schema…</p></main>;

  const kinds = boot.vocabulary.artifact_kinds;
  const familyNames = Object.fromEntries(boot.families.map((f) => [f.key, f.label ?? f.key]));
  const enumNames = (key: string, label: (v: string) => string) => {
    const prop = properties(schema)[key];
    const e = prop?.enum ?? (prop?.items as JSONSchema | undefined)?.enum;
    return Array.isArray(e) ? (e as string[]).map(label) : undefined;
  };
  const legacyMapping = options.legacy_mapping;

  return (
    <main className="runs-page catalog-page wizard" data-testid="wizard" data-step={step}>
      <div className="page-head">
        <h1>{isNew ? 'New output type' : `Edit ${target}`}</h1>
        <span className="page-head-spacer" />
        <button type="button" onClick={() => navigate('/output-types')} data-testid="wizard-cancel">
          Cancel
        </button>
      </div>
      <ol className="wizard-steps" aria-label="Steps">
        {steps.map((s, i) => (
          <li key={s}>
            <button
              type="button"
              className={`wizard-step${s === step ? ' current' : ''}${i < stepIndex ? ' done' : ''}`}
              disabled={!open.includes(s)}
              aria-current={s === step ? 'step' : undefined}
              onClick={() => goStep(s)}
              data-testid={`wizard-step-${s}`}
            >
              <span className="wizard-step-n">{i + 1}</span>
              {stepTitle(s)}
            </button>
          </li>
        ))}
      </ol>

      <section className="wizard-body" data-testid={`wizard-page-${step}`} data-problems={nextPressed.has(step) ? 'all' : 'touched'}>
        {checkError && <p className="notice notice-error">The server cannot check the draft: {checkError}</p>}
        {dropped && (
          <p className="notice notice-info" data-testid="wizard-dropped">
            {dropped}
          </p>
        )}

        {step === 'family' && (
          <>
            <p className="wizard-intro">The family fixes which workflows, artifact kinds and checks apply.</p>
            <ParamForm
              schema={pickSchema(schema, fieldsOfStep('family', schema))}
              uiSchema={{ family: { 'ui:widget': 'radio', 'ui:enumNames': enumNames('family', (v) => familyNames[v] ?? v) } }}
              values={pick(fieldsOfStep('family', schema))}
              idPrefix="ot"
              readOnly={false}
              clientValidate={false}
              extraErrors={errorTreeFor(problems, [], fieldsOfStep('family', schema))}
              onChange={(v) => setFields(fieldsOfStep('family', schema), v)}
            />
            <PointerList items={listed((p) => p.path[0] === 'family')} tone="error" testId="step-problems" />
          </>
        )}

        {step === 'workflow' && (
          <>
            <p className="wizard-intro">Link a workflow of the family {familyNames[String(draft.family)] ?? String(draft.family)}, or create one in the workflow editor. Without one, the output type runs the legacy pipeline.</p>
            <fieldset className="choice-list" data-testid="workflow-choices">
              <legend>Workflow</legend>
              {(options.workflows ?? []).map((w) => {
                const chosen = draft.workflow?.id === w.id && draft.workflow?.version === w.version;
                return (
                  <label key={`${w.id}@${w.version}`} className={`choice${chosen ? ' chosen' : ''}`} data-testid={`wf-choice-${w.id}`}>
                    <input
                      type="radio"
                      name="workflow"
                      checked={chosen}
                      onChange={() => {
                        touch(['workflow']);
                        setDraft(chooseWorkflow(draft, { id: w.id, version: w.version } as WorkflowLink, rolloutTouched));
                      }}
                    />
                    <span className="choice-text">
                      <span className="block strong">{w.name}</span>
                      <span className="block mono small muted">
                        {w.id} · v{w.version}
                        {w.source ? ` · ${w.source}` : ''}
                      </span>
                    </span>
                  </label>
                );
              })}
              {properties(schema).workflow && 'default' in properties(schema).workflow && properties(schema).workflow.default === null && (
                <label className={`choice${draft.workflow ? '' : ' chosen'}`} data-testid="wf-choice-none">
                  <input
                    type="radio"
                    name="workflow"
                    checked={!draft.workflow}
                    onChange={() => {
                      touch(['workflow']);
                      setDraft(chooseWorkflow(draft, null));
                    }}
                  />
                  <span className="choice-text">
                    <span className="block strong">No workflow</span>
                    <span className="block small muted">The legacy pipeline, driven by the legacy render settings.</span>
                  </span>
                </label>
              )}
              {draft.workflow && !(options.workflows ?? []).some((w) => w.id === draft.workflow?.id && w.version === draft.workflow?.version) && (
                <p className="small muted" data-testid="wf-linked-other">
                  Linked: <span className="mono">{draft.workflow.id}</span> v{draft.workflow.version}
                </p>
              )}
              <FieldProblems problems={fieldErrors('workflow')} testId="problems-workflow" />
              <button type="button" className="wizard-create" onClick={createWorkflow} data-testid="wizard-create-workflow">
                + Create a {familyNames[String(draft.family)] ?? String(draft.family)} workflow in the editor
              </button>
            </fieldset>
            <ParamForm
              schema={pickSchema(schema, ['rollout'])}
              uiSchema={{ rollout: { 'ui:widget': 'radio' } }}
              values={pick(['rollout'])}
              idPrefix="ot"
              readOnly={false}
              clientValidate={false}
              extraErrors={errorTreeFor(problems, [], ['rollout'])}
              onChange={(v) => setFields(['rollout'], v)}
            />
            {draft.legacy_render_settings && (
              <div className="legacy-panel legacy-inline">
                <div className="legacy-col">
                  <h3>Legacy render settings</h3>
                  <KvTable rows={settingRows(draft.legacy_render_settings)} />
                </div>
                <div className="legacy-arrow" aria-hidden="true">
                  →
                </div>
                <div className="legacy-col" data-testid="wizard-legacy-mapping">
                  <h3>Compat adapter mapping</h3>
                  {legacyMapping ? (
                    <>
                      <p className="small">
                        Artifact kind <span className="badge badge-muted mono">{legacyMapping.artifact_kind ?? '—'}</span>
                      </p>
                      <KvTable rows={settingRows(legacyMapping.overrides)} empty="No overrides." />
                      <PointerList items={legacyMapping.warnings ?? []} tone="warn" title="Warnings" />
                      <PointerList items={legacyMapping.errors ?? []} tone="error" title="Cannot be adapted" />
                    </>
                  ) : (
                    <p className="muted small">Checking…</p>
                  )}
                </div>
              </div>
            )}
            <PointerList items={listed((p) => p.path[0] === 'workflow' || p.path[0] === 'rollout')} tone="error" testId="step-problems" />
          </>
        )}

        {step === 'artifact_kind' && (
          <>
            <p className="wizard-intro">{draft.workflow ? `The kinds ${draft.workflow.id} v${draft.workflow.version} delivers.` : 'The kinds the family delivers.'}</p>
            <fieldset className="choice-list" data-testid="kind-choices">
              <legend>Artifact kind</legend>
              {(options.artifact_kinds ?? []).map((k) => {
                const info = kinds.find((x) => x.key === k);
                return (
                  <label key={k} className={`choice${draft.artifact_kind === k ? ' chosen' : ''}`} data-testid={`kind-choice-${k}`}>
                    <input type="radio" name="artifact_kind" checked={draft.artifact_kind === k} onChange={() => {
                        touch(['artifact_kind']);
                        setDraft({ ...draft, artifact_kind: k });
                      }}
                    />
                    <span className="choice-text">
                      <span className="block strong">{info?.label ?? k}</span>
                      <span className="block small muted">
                        <span className="mono">{k}</span>
                        {info?.media_type ? ` · ${info.media_type}` : ''}
                        {info?.description ? ` · ${info.description}` : ''}
                      </span>
                    </span>
                  </label>
                );
              })}
              {options.artifact_kinds && options.artifact_kinds.length === 0 && <p className="muted">The server offers no artifact kind for this draft.</p>}
              <FieldProblems problems={fieldErrors('artifact_kind')} testId="problems-artifact_kind" />
            </fieldset>
            <PointerList items={listed((p) => p.path[0] === 'artifact_kind')} tone="error" testId="step-problems" />
          </>
        )}

        {step === 'overrides' && (
          <>
            {draft.workflow ? (
              <>
                <p className="wizard-intro">
                  The invocation parameters of <span className="mono">{draft.workflow.id}</span> v{draft.workflow.version}. Each shows its default; set a value only where this output type differs.
                </p>
                {legacyMapping?.overrides && overridesSchema && (
                  <p className="small">
                    <button
                      type="button"
                      onClick={() => {
                        const allowed = properties(overridesSchema);
                        const mapped = Object.fromEntries(Object.entries(legacyMapping.overrides ?? {}).filter(([k]) => k in allowed));
                        touch(['overrides']);
                        setDraft({ ...draft, overrides: mapped });
                      }}
                      data-testid="apply-legacy-mapping"
                    >
                      Take the compat adapter’s mapping
                    </button>{' '}
                    <span className="muted">so the graph renders what the legacy settings render.</span>
                  </p>
                )}
                {overridesSchema ? (
                  <ParamForm
                    schema={overridesSchema}
                    values={(draft.overrides as Record<string, unknown>) ?? {}}
                    idPrefix="ov"
                    readOnly={false}
                    clientValidate={false}
                    extraErrors={errorTreeFor(problems, ['overrides'])}
                    onChange={(v) => {
                      if (JSON.stringify(v) !== JSON.stringify(draft.overrides ?? {})) touch(['overrides']);
                      setDraft({ ...draft, overrides: v });
                    }}
                  />
                ) : (
                  <p className="empty">Loading the workflow’s parameters…</p>
                )}
              </>
            ) : (
              <p className="wizard-intro">No workflow is linked, so there is nothing to override: the legacy pipeline reads the legacy render settings.</p>
            )}
            <PointerList items={listed((p) => p.path[0] === 'overrides' && !!p.path[1] && p.path[1] in properties(overridesSchema))} tone="error" testId="step-problems" />
          </>
        )}

        {step === 'commercial' && (
          <>
            <p className="wizard-intro">How customers see it: name, key, visibility, the pricing tier, the product categories it is offered for, and material constraints.</p>
            <ParamForm
              schema={pickSchema(schema, fieldsOfStep('commercial', schema))}
              uiSchema={{
                'ui:order': [...fieldsOfStep('commercial', schema), '*'],
                key: isNew ? {} : { 'ui:readonly': true },
                description: { 'ui:widget': 'textarea', 'ui:options': { rows: 2 } },
                visibility: { 'ui:widget': 'radio' },
                categories: { 'ui:widget': 'checkboxes', 'ui:options': { inline: true }, 'ui:enumNames': enumNames('categories', (v) => categoryLabel(String(v), categories)) },
                pricing_tier: {
                  'ui:enumNames': enumNames('pricing_tier', (v) => {
                    const t = tiers.find((x) => x.key === v);
                    const p = tierPrice({ ...draft, pricing_tier: v }, tiers);
                    return `${t?.name ?? v}${p ? ` · ${p.price} ${p.currency} per ${draft.artifact_kind}` : ''}`;
                  }),
                },
              }}
              values={pick(fieldsOfStep('commercial', schema))}
              idPrefix="ot"
              readOnly={false}
              clientValidate={false}
              extraErrors={errorTreeFor(problems, [], fieldsOfStep('commercial', schema))}
              markUnset={false}
              onChange={(v, changed) => {
                if (changed === 'key') setKeyTouched(true);
                setFields(fieldsOfStep('commercial', schema), v);
              }}
            />
            <PointerList items={listed((p) => fieldsOfStep('commercial', schema).includes(p.path[0]))} tone="error" testId="step-problems" />
          </>
        )}

        {step === 'review' && (
          <>
            <p className="wizard-intro">The whole output type as it will be stored. The server checks it once more on save.</p>
            <div className="review-grid">
              <KvTable
                testId="review-summary"
                rows={[
                  ['key', draft.key],
                  ['name', draft.name],
                  ['family', draft.family],
                  ['workflow', draft.workflow ? `${draft.workflow.id} v${draft.workflow.version}` : 'none (legacy pipeline)'],
                  ['rollout', draft.rollout],
                  ['artifact_kind', draft.artifact_kind],
                  ['pricing_tier', draft.pricing_tier],
                  ['visibility', draft.visibility],
                  ['categories', categoriesText(draft.categories as string[] | undefined, categories)],
                  ...settingRows(draft.overrides ?? {}, 'overrides.'),
                ]}
              />
              <pre className="json-block review-json" data-testid="review-json">
                {JSON.stringify(draft, null, 2)}
              </pre>
            </div>
            {current?.valid && !saveProblems && (
              <p className="ok small" data-testid="review-ok">
                The server found no problems.
              </p>
            )}
            {saveError && (
              <p className="notice notice-error" role="alert" data-testid="wizard-save-error">
                Not saved: {saveError}
              </p>
            )}
            <PointerList items={listed(() => false)} tone="error" testId="step-problems" />
          </>
        )}
      </section>

      <div className="wizard-foot">
        <button type="button" onClick={() => goStep(steps[stepIndex - 1])} disabled={stepIndex <= 0} data-testid="wizard-back">
          Back
        </button>
        <span className="wizard-state small muted" data-testid="wizard-check" role="status">
          {checking
            ? 'Checking…'
            : current
              ? current.valid
                ? 'This step is complete.'
                : hidden > 0 && problems.length === 0
                  ? 'Fill in this step, then Next.'
                  : `${allProblems.length} problem${allProblems.length === 1 ? '' : 's'} to fix.`
              : ''}
        </span>
        {stepIndex < steps.length - 1 ? (
          <button type="button" className="primary" onClick={pressNext} disabled={next === 'wait'} data-testid="wizard-next">
            Next: {stepTitle(steps[stepIndex + 1] ?? '')}
          </button>
        ) : (
          <button type="button" className="primary" onClick={save} disabled={saving || checking || !current?.valid} data-testid="wizard-save">
            {isNew ? 'Create output type' : 'Save output type'}
          </button>
        )}
      </div>
    </main>
  );
}

// rjsf merges extraErrors when the object changes, so it must change only with the problems.
const treeCache = new WeakMap<object, Map<string, object>>();
function errorTreeFor(problems: PlacedProblem[], base: string[], only?: readonly string[]): object {
  const key = `${base.join('/')}|${only?.join(',') ?? ''}`;
  let m = treeCache.get(problems);
  if (!m) treeCache.set(problems, (m = new Map()));
  let t = m.get(key);
  if (!t) m.set(key, (t = errorTree(problems, base, only)));
  return t;
}
