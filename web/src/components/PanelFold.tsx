// Folding a side panel of the editor: the button in its tab row, and the
// narrow strip it leaves, which opens it again.

export function FoldButton({ side, onFold }: { side: 'left' | 'right'; onFold: () => void }) {
  const what = side === 'left' ? 'workflows and palette' : 'node and invocation panel';
  return (
    <button type="button" className="panel-fold" onClick={onFold} title={`Hide the ${what}`} aria-label={`Hide the ${what}`} data-testid={`fold-${side}`}>
      {side === 'left' ? '‹' : '›'}
    </button>
  );
}

export function FoldedStrip({ side, label, onOpen }: { side: 'left' | 'right'; label: string; onOpen: () => void }) {
  return (
    <button type="button" className={`panel-strip panel-strip-${side}`} onClick={onOpen} title={`Show the ${label.toLowerCase()}`} data-testid={`unfold-${side}`}>
      <span aria-hidden="true">{side === 'left' ? '›' : '‹'}</span>
      <span className="panel-strip-label">{label}</span>
    </button>
  );
}
