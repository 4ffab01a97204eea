// A run's workflow graph, read-only, at the positions it was saved with. The
// nodes are the editor's ModuleNode (labels and ports from the family's node
// definitions) with the node's live status on top.
import { Background, ControlButton, Controls, MiniMap, ReactFlow, useNodesInitialized, type NodeChange, type NodeTypes } from '@xyflow/react';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useReadableOpen } from '../useReadableOpen';
import { EditorContext, type EditorContextValue } from '../context';
import { nodeRunView, runFocus } from '../editorRun';
import { indexProblems } from '../problems';
import { runGraph } from '../runs';
import type { NodeDefinition, NodeStatus, PortType, RunDetail } from '../types';
import type { FlowEdge, FlowNode } from '../workflow';
import { Icon, typeColor } from './Icon';
import { ModuleNode } from './ModuleNode';

const nodeTypes: NodeTypes = { module: ModuleNode };
const noProblems = indexProblems([]);

/** Minimap colours per node status (the canvas uses the CSS classes). */
const STATUS_COLORS: Record<NodeStatus, string> = {
  pending: '#d0d5dd',
  running: '#2f6fdf',
  succeeded: '#12b76a',
  failed: '#d92d20',
  skipped: '#98a2b3',
  cancelled: '#f79009',
};

export interface RunGraphProps {
  run: RunDetail;
  definitions: readonly NodeDefinition[];
  portTypes: readonly PortType[];
  entryStep?: string;
  selected?: string;
  onSelect: (nodeId: string | undefined) => void;
}

export function RunGraph({ run, definitions, portTypes, entryStep, selected, onSelect }: RunGraphProps) {
  const byStep = useMemo(() => new Map(definitions.map((d) => [d.step, d])), [definitions]);
  const heightOf = useMemo(
    () => (step: string) => {
      const d = byStep.get(step);
      return 100 + 24 * (d ? Math.max(d.input_contract.length, d.output_contract.length) : 1);
    },
    [byStep],
  );
  // Each node's run info, with its image output (a small preview) and, for a
  // side effect that had nowhere to go, why it sent nothing.
  const graph = useMemo(() => {
    const g = runGraph(run, heightOf);
    return { ...g, nodes: g.nodes.map((n) => ({ ...n, data: { ...n.data, run: nodeRunView(run, n.id) } })) };
  }, [run, heightOf]);

  const ctx = useMemo<EditorContextValue>(
    () => ({
      family: run.family,
      definition: (step) => byStep.get(step),
      familySteps: new Set(byStep.keys()),
      entryStep,
      portTypes: new Map(portTypes.map((t) => [t.key, t])),
      problems: noProblems,
      edges: graph.edges,
      readOnly: true,
    }),
    [run.family, byStep, entryStep, portTypes, graph.edges],
  );

  // Nodes are derived from the run; only their measured sizes are kept here (the minimap needs them).
  const [measured, setMeasured] = useState<Record<string, { width: number; height: number }>>({});
  const onNodesChange = useCallback((changes: NodeChange<FlowNode>[]) => {
    const sizes = changes.flatMap((c) => (c.type === 'dimensions' && c.dimensions ? [[c.id, c.dimensions] as const] : []));
    if (sizes.length) setMeasured((m) => ({ ...m, ...Object.fromEntries(sizes) }));
  }, []);
  const nodes = useMemo<FlowNode[]>(
    () => graph.nodes.map((n) => ({ ...n, selected: n.id === selected, ...(measured[n.id] ? { measured: measured[n.id] } : {}) })),
    [graph.nodes, selected, measured],
  );
  const edges = useMemo<FlowEdge[]>(() => {
    const status = (id: string) => run.nodes?.[id]?.status ?? 'pending';
    const stepOf = new Map(graph.nodes.map((n) => [n.id, n.data.step]));
    return graph.edges.map((e) => {
      const type = byStep.get(stepOf.get(e.source) ?? '')?.output_contract.find((p) => p.name === e.sourceHandle)?.type;
      const delivered = status(e.source) === 'succeeded';
      return {
        ...e,
        animated: delivered && status(e.target) === 'running',
        style: { stroke: delivered && type ? typeColor(type) : '#c4cad3', strokeWidth: 2 },
      };
    });
  }, [graph, run.nodes, byStep]);

  // Opens once, at a readable zoom, when the nodes have their sizes.
  const initialized = useNodesInitialized();
  const openReadable = useReadableOpen();
  const opened = useRef(false);
  useEffect(() => {
    if (!initialized || opened.current) return;
    opened.current = true;
    // What is happening now (or went wrong) is in view.
    openReadable(0.15, runFocus(run));
    // Once, with the run as it was when the graph opened (run is left out on purpose).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [initialized, openReadable]);

  return (
    <EditorContext.Provider value={ctx}>
      <ReactFlow<FlowNode, FlowEdge>
        colorMode="system"
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        nodesDraggable={false}
        nodesConnectable={false}
        edgesFocusable={false}
        deleteKeyCode={null}
        onNodeClick={(_, n) => onSelect(n.id)}
        onPaneClick={() => onSelect(undefined)}
        fitViewOptions={{ padding: 0.15, maxZoom: 1 }}
        minZoom={0.2}
        maxZoom={2}
        proOptions={{ hideAttribution: true }}
        aria-label="Run graph"
      >
        <Background gap={20} size={1} color="#d0d5dd" />
        {/* Fit view as the graph opened: readable (viewport.ts), never below 11 px text, what runs now in view. */}
        <Controls showInteractive={false} showFitView={false} position="bottom-left">
          <ControlButton className="react-flow__controls-fitview" onClick={() => openReadable(0.15, runFocus(run))} title="Fit view" aria-label="Fit view" data-testid="run-graph-fit">
            <Icon name="fit" />
          </ControlButton>
        </Controls>
        <MiniMap
          pannable
          zoomable
          position="bottom-right"
          nodeStrokeWidth={2}
          nodeColor={(n) => {
            const r = (n as FlowNode).data.run;
            return STATUS_COLORS[r?.notSent ? 'skipped' : (r?.status ?? 'pending')];
          }}
          style={{ width: 150, height: 100 }}
        />
      </ReactFlow>
    </EditorContext.Provider>
  );
}
