// A shadow pair's parity report: identical or not, every difference, the
// image artifacts of both runs side by side, and each module's params.
import { artifactUrl, parityDiffUrl } from '../api';
import { formatValue, parityImages } from '../runs';
import type { ParityArtifact, ParityDifference } from '../types';
import type { Parity } from '../useParity';

const SKIP = new Set(['what', 'legacy', 'graph']);

function DifferenceRow({ d }: { d: ParityDifference }) {
  const extra = Object.entries(d).filter(([k]) => !SKIP.has(k));
  return (
    <li className="parity-difference">
      <span className="mono strong">{d.what}</span>
      {('legacy' in d || 'graph' in d) && (
        <span className="mono small">
          {' '}
          legacy {formatValue(d.legacy)} → graph {formatValue(d.graph)}
        </span>
      )}
      {extra.map(([k, v]) => (
        <span key={k} className="muted small">
          {' '}
          · {k.replace(/_/g, ' ')} {formatValue(v)}
        </span>
      ))}
    </li>
  );
}

/** How an artifact was judged, in one sentence (the thresholds are the report's). */
export function artifactVerdictText(a: ParityArtifact): string {
  if (a.error) return `Not compared: ${a.error}`;
  const verdict = a.verdict ?? 'not compared';
  switch (a.comparison) {
    case 'pixels':
      if (verdict === 'identical') return `Pixel-identical${a.size?.legacy ? ` at ${a.size.legacy[0]}×${a.size.legacy[1]}` : ''}.`;
      return `${verdict}: ${a.differing_pixels ?? '?'} pixels differ, PSNR ${a.psnr_db ?? '∞'} dB, SSIM ${a.ssim ?? '?'}.`;
    case 'frames':
      return `${verdict}, frame by frame: ${a.differing_frames ?? 0} of ${a.frames?.legacy ?? '?'} frames differ.`;
    case 'blend_digest':
    case 'glb_structure':
      return `${verdict} by ${a.comparison === 'blend_digest' ? "Blender's digest of the scene" : 'structure'}${a.differences?.length ? `: ${a.differences.map((d) => d.pointer).slice(0, 5).join(', ')}` : ''}.`;
    default:
      return `${verdict} (${a.comparison ?? 'content'}).`;
  }
}

export function ParityPanel({ parity, onOpenRun }: { parity: Parity; onOpenRun: (id: string) => void }) {
  const { report, legacy, graph } = parity;
  const images = parityImages(report, legacy, graph);
  const runLink = (id: string, label: string) => (
    <a
      href={`/runs/${encodeURIComponent(id)}`}
      onClick={(e) => {
        e.preventDefault();
        onOpenRun(id);
      }}
      className="mono"
    >
      {label}
    </a>
  );
  return (
    <div className="parity" data-testid="parity">
      <section className="panel-section">
        <h3>Parity</h3>
        <p className="parity-verdict">
          Identical:{' '}
          <span className={`badge ${report.identical ? 'badge-ok' : 'badge-error'}`} data-testid="parity-identical">
            {report.identical ? 'yes' : 'no'}
          </span>
          {report.complete === false && <span className="muted small"> (a run of the pair is still running)</span>}
          {report.verdict === 'equivalent' && <span className="muted small"> (within the thresholds, not bit for bit)</span>}
        </p>
        <p className="small muted" data-testid="parity-execution">
          {report.execution?.both_executed
            ? 'Both sides executed the compared nodes.'
            : 'A compared node did not execute on both sides: the comparison proves nothing.'}
          {report.execution && report.execution.reused_from_cache.length > 0
            ? ` Reused from the cache: ${report.execution.reused_from_cache.map((r) => `${r.run} ${r.node}`).join(', ')}.`
            : ''}
        </p>
        <div className="small parity-runs">
          <div>
            Legacy: {runLink(report.legacy_run, report.legacy_run)} <span className="muted">{report.status?.legacy}</span>
          </div>
          <div>
            Graph: {runLink(report.graph_run, report.graph_run)} <span className="muted">{report.status?.graph}</span>
          </div>
        </div>
      </section>
      <section className="panel-section">
        <h3>Differences</h3>
        {report.differences.length === 0 ? (
          <p className="ok small">No differences.</p>
        ) : (
          <ul className="parity-differences" data-testid="parity-differences">
            {report.differences.map((d, i) => (
              <DifferenceRow key={i} d={d} />
            ))}
          </ul>
        )}
      </section>
      {images.length > 0 && (
        <section className="panel-section">
          <h3>Images</h3>
          {images.map((img) => {
            const judged = report.artifacts?.find((a) => a.role === img.role);
            const diffSha = judged?.diff_image?.sha256;
            return (
              <div key={img.role} className="parity-images" data-testid={`parity-images-${img.role}`}>
                <div className="mono small strong">{img.role}</div>
                <div className="parity-pair">
                  {(['legacy', 'graph'] as const).map((side) => {
                    const out = img[side];
                    return (
                      <figure key={side} className="parity-figure">
                        {out?.artifact_id ? (
                          <a href={artifactUrl(out.artifact_id)} target="_blank" rel="noreferrer">
                            <img src={artifactUrl(out.artifact_id)} alt={`${side} ${img.role}`} data-testid={`parity-image-${side}`} />
                          </a>
                        ) : (
                          <div className="parity-missing">not delivered</div>
                        )}
                        <figcaption>{side}</figcaption>
                      </figure>
                    );
                  })}
                  {diffSha && (
                    <figure className="parity-figure">
                      <a href={parityDiffUrl(report.graph_run, diffSha)} target="_blank" rel="noreferrer">
                        <img src={parityDiffUrl(report.graph_run, diffSha)} alt={`difference ${img.role}`} data-testid="parity-image-diff" />
                      </a>
                      <figcaption>difference</figcaption>
                    </figure>
                  )}
                </div>
                {judged && (
                  <p className="small muted" data-testid={`parity-verdict-${img.role}`}>
                    {artifactVerdictText(judged)}
                  </p>
                )}
              </div>
            );
          })}
        </section>
      )}
      {(report.artifacts?.length ?? 0) > 0 && (
        <section className="panel-section">
          <h3>Artifacts</h3>
          <table className="kv-table">
            <thead>
              <tr>
                <th>Role</th>
                <th>Kind</th>
                <th>Media type</th>
                <th>Verdict</th>
              </tr>
            </thead>
            <tbody>
              {report.artifacts!.map((a) => (
                <tr key={a.role}>
                  <td className="mono">{a.role}</td>
                  <td className="small">{a.kind?.legacy === a.kind?.graph ? a.kind?.legacy : `${a.kind?.legacy ?? '—'} / ${a.kind?.graph ?? '—'}`}</td>
                  <td className="small mono">
                    {a.media_type?.legacy === a.media_type?.graph ? a.media_type?.legacy : `${a.media_type?.legacy ?? '—'} / ${a.media_type?.graph ?? '—'}`}
                  </td>
                  <td className="small">{artifactVerdictText(a)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
      {(report.modules?.length ?? 0) > 0 && (
        <section className="panel-section">
          <h3>Modules</h3>
          <table className="kv-table" data-testid="parity-modules">
            <thead>
              <tr>
                <th>Module</th>
                <th>Nodes</th>
                <th>Params</th>
              </tr>
            </thead>
            <tbody>
              {report.modules!.map((m) => (
                <tr key={`${m.module}/${m.legacy_node}/${m.graph_node}`}>
                  <td className="mono small">{m.module}</td>
                  <td className="mono small">{m.legacy_node === m.graph_node ? m.legacy_node : `${m.legacy_node} / ${m.graph_node}`}</td>
                  <td className="small">
                    {m.identical ? (
                      <span className="ok">identical</span>
                    ) : (
                      m.differences.map((d) => (
                        <div key={d.param} className="mono" title={d.why}>
                          {d.param}: {formatValue(d.legacy)} → {formatValue(d.graph)}
                          {d.why && <div className="muted">{d.why}</div>}
                        </div>
                      ))
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      )}
    </div>
  );
}
