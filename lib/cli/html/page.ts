/**
 * The shell of the self-contained pages `saga inspect --html` and `saga graph --html` write: one
 * HTML file with its CSS, SVG and script inline, so it opens from a mail attachment, a ticket or a
 * file share with no network (no CDN, no fonts, no external script).
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** `name="value"` pairs, escaped; undefined values are left out. */
export function attrs(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join('');
}

/** Colours given to participants in order (lanes, step nodes), readable on white. */
export const PARTICIPANT_COLOURS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'] as const;

/** The colour of the participant at `index` in the definition's order. */
export const colourOf = (index: number): string => PARTICIPANT_COLOURS[index % PARTICIPANT_COLOURS.length]!;

const BASE_CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1d2125; background: #fff; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 8px; }
.meta { color: #555; margin: 2px 0; }
table { border-collapse: collapse; margin: 4px 0 12px; }
th, td { text-align: left; padding: 3px 10px 3px 0; border-bottom: 1px solid #eee; vertical-align: top; }
th { font-weight: 600; color: #444; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
svg text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.legend { display: flex; flex-wrap: wrap; gap: 14px; margin: 8px 0; color: #333; }
.legend span { display: inline-flex; align-items: center; gap: 6px; }
.figure { overflow-x: auto; border: 1px solid #e3e3e3; border-radius: 6px; padding: 8px; }
`;

export interface PageParts {
  readonly title: string;
  /** Page-specific CSS, appended to the base style. */
  readonly css: string;
  readonly body: string;
  /** Inline script (no imports, no network); runs after the body is parsed. */
  readonly script?: string;
}

/**
 * One complete HTML document. A restrictive Content-Security-Policy keeps it self-contained: no
 * request leaves the page, whatever the saga's data contains.
 */
export function htmlDocument(parts: PageParts): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${csp}">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(parts.title)}</title>`,
    `<style>${BASE_CSS}${parts.css}</style>`,
    '</head>',
    '<body>',
    parts.body,
    parts.script ? `<script>${parts.script}</script>` : '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** Rough width of a label in px at 12–13 px system-ui: enough to size boxes without measuring. */
export const textWidth = (text: string, px = 12): number => Math.ceil(text.length * px * 0.6);
