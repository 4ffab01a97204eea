// A shadow pair's parity report: identical or not, every difference, the
// image artifacts of both runs side by side, and each module's params.
import { artifactUrl } from '../api';
import { formatValue, parityImages } from '../runs';
import type { ParityDifference } from '../types';
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
            const px = report.artifacts?.find((a) => a.role === img.role)?.pixels;
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
                </div>
                {px && (
                  <p className="small muted">
                    {px.error
                      ? `Pixels not compared: ${px.error}`
                      : px.identical
                        ? `Pixel-identical${px.size ? ` at ${px.size[0]}×${px.size[1]}` : ''}.`
                        : px.differing_pixels !== undefined
                          ? `${px.differing_pixels} pixels differ${px.size ? ` of ${px.size[0] * px.size[1]}` : ''}, by up to ${px.max_channel_difference} per channel.`
                          : 'The images differ in size.'}
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
                <tr key={m.module}>
                  <td className="mono small">{m.module}</td>
                  <td className="mono small">{m.legacy_node === m.graph_node ? m.legacy_node : `${m.legacy_node} / ${m.graph_node}`}</td>
                  <td className="small">
                    {m.identical ? (
                      <span className="ok">identical</span>
                    ) : (
                      m.differences.map((d) => (
                        <div key={d.param} className="mono">
                          {d.param}: {formatValue(d.legacy)} → {formatValue(d.graph)}
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
