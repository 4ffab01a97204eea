// A line's delivered files on the order page: the still as a picture, the
// turntable in a player (the published URL answers byte ranges, so it
// seeks), anything else (.blend, GLB) as a file card; each with its size and
// a Download button.
import type { Deliverable } from '../deliverables';
import { formatBytes } from '../runs';

/** Videos up to this size load whole at once, so the first frame shows without a spinner. */
const SMALL_VIDEO = 16 * 1024 * 1024;

const EXT_BADGE = (name: string) => (name.includes('.') ? name.split('.').pop()!.toUpperCase() : 'FILE');

export function Deliverables({ items, testId }: { items: Deliverable[]; testId: string }) {
  return (
    <div className="deliverables" data-testid={testId}>
      {items.map((d) => (
        <figure key={d.asset.id} className={`deliverable deliverable-${d.kind}`} data-testid={`${testId}-card-${d.kind}`} data-media-type={d.asset.media_type}>
          {d.kind === 'image' && (
            <a href={d.asset.url} target="_blank" rel="noreferrer" className="deliverable-media" title="Open the full image">
              <img src={d.asset.url} alt={`${d.label}: ${d.fileName}`} data-testid={`${testId}-img`} />
            </a>
          )}
          {d.kind === 'video' && (
            <div className="deliverable-media">
              <video
                src={d.asset.url}
                controls
                loop
                muted
                playsInline
                preload={typeof d.asset.size === 'number' && d.asset.size < SMALL_VIDEO ? 'auto' : 'metadata'}
                data-testid={`${testId}-video`}
              />
            </div>
          )}
          {d.kind === 'download' && (
            <div className="deliverable-media deliverable-file" aria-hidden="true">
              <span className="deliverable-ext">{EXT_BADGE(d.fileName)}</span>
            </div>
          )}
          <figcaption>
            <div className="deliverable-text">
              <span>
                <span className="strong">{d.label}</span>
                {typeof d.asset.size === 'number' && (
                  <span className="muted small" data-testid={`${testId}-size`}>
                    {' '}
                    · {formatBytes(d.asset.size)}
                  </span>
                )}
              </span>
              <span className="muted small mono" title={d.fileName}>
                {d.fileName}
              </span>
            </div>
            <a className="button-link deliverable-download" href={d.asset.url} download={d.fileName} data-testid={`${testId}-download`}>
              Download
            </a>
          </figcaption>
        </figure>
      ))}
    </div>
  );
}
