// The editor's left panel: the stored workflows, or the modules of the open
// workflow's family to add.
import type { EditSession } from '../editorSession';
import type { FamilyDefs } from '../useEditorBoot';
import type { Family, NodeDefinition, WorkflowSummary } from '../types';
import type { Graph } from '../workflow';
import { FoldButton } from './PanelFold';
import { Palette } from './Palette';
import { WorkflowList } from './WorkflowList';

export type SidebarTab = 'workflows' | 'palette';

export interface EditorSidebarProps {
  tab: SidebarTab;
  onTab: (t: SidebarTab) => void;
  workflows: WorkflowSummary[];
  families: Family[];
  graph: Graph | null;
  session: EditSession | null;
  familyDefs: FamilyDefs;
  paletteDefs: NodeDefinition[];
  familyLabel: string;
  blocked: (def: NodeDefinition) => string | undefined;
  onOpen: (id: string, version?: number) => void;
  onDelete: (id: string) => void;
  onNew: () => void;
  onImport: () => void;
  onAdd: (step: string) => void;
  onFold: () => void;
}

export function EditorSidebar(p: EditorSidebarProps) {
  const { tab, graph, session, familyDefs } = p;
  const family = graph?.meta.family ?? '';
  return (
    <>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === 'workflows'} className={tab === 'workflows' ? 'active' : ''} onClick={() => p.onTab('workflows')} data-testid="tab-workflows">
          Workflows
        </button>
        <button type="button" role="tab" aria-selected={tab === 'palette'} className={tab === 'palette' ? 'active' : ''} onClick={() => p.onTab('palette')} data-testid="tab-palette">
          Palette
        </button>
        <FoldButton side="left" onFold={p.onFold} />
      </div>
      <div className="sidebar-body">
        {tab === 'workflows' && (
          <WorkflowList
            workflows={p.workflows}
            families={p.families}
            currentId={session?.mode !== 'new' ? graph?.meta.id : undefined}
            currentVersion={session?.baseVersion}
            onOpen={p.onOpen}
            onDelete={p.onDelete}
            onNew={p.onNew}
            onImport={p.onImport}
          />
        )}
        {tab === 'palette' &&
          (graph ? (
            Array.isArray(familyDefs[family]) ? (
              <Palette definitions={p.paletteDefs} familyLabel={p.familyLabel} blocked={p.blocked} readOnly={session?.mode === 'readonly'} onAdd={p.onAdd} />
            ) : (
              <p className="empty">{familyDefs[family] === 'loading' || !(family in familyDefs) ? 'Loading modules…' : `No modules for family “${family}”: ${familyDefs[family]}`}</p>
            )
          ) : (
            <p className="empty">Open or create a workflow to see the modules of its family.</p>
          ))}
      </div>
    </>
  );
}
