// The workflow open in the editor, as a session: how it was opened (new,
// editable over a stored version, or an old version read-only), what was last
// saved, and what the server last said about it.
import type { WorkflowDoc } from './types';

export interface EditSession {
  /** new: never saved (POST); edit: PUT over baseVersion; readonly: an old version */
  mode: 'new' | 'edit' | 'readonly';
  baseVersion: number;
  latestVersion?: number;
  /** the document as last loaded or saved, to tell unsaved changes */
  savedJson: string;
}

export type Tone = 'info' | 'ok' | 'error';

export interface StatusMessage {
  text: string;
  tone: Tone;
}

/**
 * The document without positions or the version it was saved over: what
 * validation depends on (the version only says which save it follows).
 */
export function logicJson(doc: WorkflowDoc): string {
  const { version: _version, ...rest } = doc;
  return JSON.stringify({ ...rest, nodes: doc.nodes.map(({ ui: _ui, ...n }) => n) });
}

/** Whether the document differs from what the session last loaded or saved (a new one always does). */
export function isDirty(session: EditSession | null, docJson: string): boolean {
  return !!session && session.mode !== 'readonly' && (session.mode === 'new' || docJson !== session.savedJson);
}

/** The document as the server is to receive it: no version when new, else the version it edits. */
export function outgoing(doc: WorkflowDoc, session: EditSession): WorkflowDoc {
  const body = { ...doc };
  if (session.mode === 'new') delete body.version;
  else body.version = session.baseVersion;
  return body;
}
