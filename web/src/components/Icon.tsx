// Glyphs for the icon names node definitions use. An unknown name falls back
// to its first letter, so a new module never needs a frontend change.
const PATHS: Record<string, string> = {
  file: 'M4 1.5h5l3 3V14.5H4z M9 1.5V4.5h3',
  list: 'M5 4h8 M5 8h8 M5 12h8 M2.5 4h.5 M2.5 8h.5 M2.5 12h.5',
  cube: 'M8 1.5l5.5 3v7L8 14.5l-5.5-3v-7z M2.5 4.5L8 7.5l5.5-3 M8 7.5v7',
  box: 'M2 3h12v10H2z M2 3l3 3h6l3-3 M5 6v7 M11 6v7',
  wand: 'M2.5 13.5l8-8 M9 3.5l1.5 1.5 M12 1.5v2 M14.5 4h-2 M13.5 6.5l-1-1',
  palette: 'M8 1.5a6.5 6.5 0 1 0 0 13c1 0 1.5-.7 1.1-1.6-.5-1 .2-2 1.3-2h1.6a2.5 2.5 0 0 0 2.5-2.6C14.4 4.5 11.6 1.5 8 1.5z M5 6.5h.1 M8 4.5h.1 M11 6.5h.1',
  image: 'M1.5 3h13v10h-13z M1.5 11l4-4 3 3 2-2 4 4 M11 5.8h.1',
  send: 'M14.5 1.5L1.5 7l5 2 2 5z M6.5 9l8-7.5',
  film: 'M2 2h12v12H2z M5 2v12 M11 2v12 M2 5h3 M2 8h3 M2 11h3 M11 5h3 M11 8h3 M11 11h3',
  layers: 'M8 2l6.5 3.5L8 9 1.5 5.5z M1.5 8.5L8 12l6.5-3.5 M1.5 11L8 14.5 14.5 11',
  package: 'M2 4.5L8 1.5l6 3v7l-6 3-6-3z M2 4.5l6 3 6-3 M8 7.5v7 M5 3l6 3',
  clipboard: 'M4 2.5h8v12H4z M6 1.5h4v2H6z M6 7h4 M6 10h4',
  fit: 'M1.5 5V1.5H5 M11 1.5h3.5V5 M14.5 11v3.5H11 M5 14.5H1.5V11 M5.5 6h5v4h-5z',
};

export function Icon({ name, size = 16 }: { name?: string; size?: number }) {
  const d = name ? PATHS[name] : undefined;
  if (!d) {
    return (
      <span className="icon icon-letter" style={{ width: size, height: size }} aria-hidden="true">
        {(name ?? '?').slice(0, 1).toUpperCase()}
      </span>
    );
  }
  return (
    <svg className="icon" width={size} height={size} viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinecap="round" strokeLinejoin="round">
      <path d={d} />
    </svg>
  );
}

/** A stable colour per port type key, so equal types look alike. */
export function typeColor(type: string): string {
  let h = 0;
  for (let i = 0; i < type.length; i++) h = (h * 31 + type.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 62% 45%)`;
}
