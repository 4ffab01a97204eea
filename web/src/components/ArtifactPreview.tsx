import { artifactUrl } from '../api';
import { downloadName, formatBytes, previewKind } from '../runs';
import type { NodeOutput } from '../types';

/**
 * One file output: images inline, videos in a player (the server answers
 * byte ranges, so it seeks), anything else as a download link.
 */
export function ArtifactPreview({ nodeId, port, output }: { nodeId: string; port: string; output: NodeOutput }) {
  const url = artifactUrl(output.artifact_id!);
  const kind = previewKind(output.media_type);
  const name = downloadName(nodeId, port, output.media_type);
  return (
    <div className="output" data-testid={`output-${port}`} data-kind={kind}>
      <div className="output-head">
        <span className="mono strong">{port}</span>
        {output.media_type && <span className="muted small mono">{output.media_type}</span>}
        {output.size !== undefined && <span className="muted small">{formatBytes(output.size)}</span>}
        {output.role && <span className="badge badge-muted mono">{output.role}</span>}
      </div>
      {kind === 'image' && (
        <a href={url} target="_blank" rel="noreferrer" className="output-image-link" title="Open the full image">
          <img src={url} alt={`${port} of ${nodeId}`} className="output-image" data-testid={`output-image-${port}`} />
        </a>
      )}
      {kind === 'video' && <video src={url} controls preload="metadata" className="output-video" data-testid={`output-video-${port}`} />}
      <a href={url} download={name} className="output-download" data-testid={`output-download-${port}`}>
        Download {name}
      </a>
      {output.sha256 && (
        <div className="muted small mono output-digest" title={output.sha256}>
          sha256 {output.sha256.slice(0, 16)}…
        </div>
      )}
    </div>
  );
}
