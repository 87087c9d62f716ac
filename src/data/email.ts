// Reduce a raw RFC 822 email to its readable body text: headers removed, MIME parts
// decoded (quoted-printable, base64), text/plain preferred over text/html, HTML stripped,
// whitespace collapsed, truncated at a word boundary.

interface Part {
  headers: Map<string, string>;
  body: string;
}

function splitHeaders(raw: string): Part {
  const text = raw.replace(/\r\n/g, '\n');
  const cut = text.indexOf('\n\n');
  const head = cut === -1 ? text : text.slice(0, cut);
  const body = cut === -1 ? '' : text.slice(cut + 2);
  const headers = new Map<string, string>();
  let last = '';
  for (const line of head.split('\n')) {
    if (/^[ \t]/.test(line) && last) {
      headers.set(last, `${headers.get(last)} ${line.trim()}`);
      continue;
    }
    const m = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (m) {
      last = m[1]!.toLowerCase();
      headers.set(last, m[2]!);
    }
  }
  return { headers, body };
}

function param(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const m = new RegExp(`${name}\\s*=\\s*(?:"([^"]*)"|([^;\\s]+))`, 'i').exec(header);
  return m ? (m[1] ?? m[2]) : undefined;
}

function decodeBytes(bytes: Buffer, charset: string | undefined): string {
  const cs = (charset ?? '').toLowerCase();
  if (cs.includes('utf-8') || cs.includes('utf8')) return bytes.toString('utf8');
  return bytes.toString('latin1');
}

function decodeTransfer(part: Part): string {
  const enc = (part.headers.get('content-transfer-encoding') ?? '').toLowerCase().trim();
  const charset = param(part.headers.get('content-type'), 'charset');
  if (enc === 'base64') {
    return decodeBytes(Buffer.from(part.body.replace(/[^A-Za-z0-9+/=]/g, ''), 'base64'), charset);
  }
  if (enc === 'quoted-printable') {
    const soft = part.body.replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < soft.length; i++) {
      const c = soft[i]!;
      if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(soft.slice(i + 1, i + 3))) {
        bytes.push(parseInt(soft.slice(i + 1, i + 3), 16));
        i += 2;
      } else {
        for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
      }
    }
    return decodeBytes(Buffer.from(bytes), charset ?? 'utf-8');
  }
  return part.body;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ', copy: '©', reg: '®' };

/** Strip HTML to visible text. */
export function htmlToText(html: string): string {
  return html
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<(script|style|head)\b[\s\S]*?<\/\1\s*>/gi, ' ')
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/tr>|<\/li>/gi, '\n')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
      if (e[0] === '#') {
        const cp = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10);
        return cp > 0 && cp < 0x110000 ? String.fromCodePoint(cp) : ' ';
      }
      return ENTITIES[e.toLowerCase()] ?? m;
    });
}

/** Collect the leaf text parts of a (possibly multipart) MIME entity. */
function leafParts(part: Part, depth = 0): Array<{ type: string; text: string }> {
  const ctype = (part.headers.get('content-type') ?? 'text/plain').toLowerCase();
  if (ctype.startsWith('multipart/') && depth < 5) {
    const boundary = param(part.headers.get('content-type'), 'boundary');
    if (boundary) {
      const out: Array<{ type: string; text: string }> = [];
      const chunks = part.body.split(`--${boundary}`);
      for (const chunk of chunks.slice(1)) {
        if (chunk.startsWith('--')) break;
        out.push(...leafParts(splitHeaders(chunk.replace(/^\r?\n/, '')), depth + 1));
      }
      return out;
    }
  }
  if (ctype.startsWith('text/') || !part.headers.has('content-type')) {
    return [{ type: ctype.startsWith('text/html') ? 'html' : 'plain', text: decodeTransfer(part) }];
  }
  return [];
}

/** Collapse all whitespace runs to single spaces and trim. */
export function collapseWhitespace(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}

/** Truncate to at most `max` characters, cutting at a word boundary when one is near. */
export function truncateText(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, max);
  const sp = cut.lastIndexOf(' ');
  if (sp > max * 0.8) cut = cut.slice(0, sp);
  // never leave a lone high surrogate
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return cut.trimEnd();
}

/**
 * Reduce a raw email (headers + body) to its body text: headers removed, MIME decoded,
 * HTML stripped, whitespace collapsed, truncated to `maxChars` (default 600).
 * Lines of an mbox "From " envelope are handled as headers.
 */
export function reduceEmail(raw: string, maxChars = 600): string {
  const msg = splitHeaders(raw);
  const leaves = leafParts(msg);
  const plain = leaves.filter((l) => l.type === 'plain');
  const chosen = plain.length > 0 && plain.some((p) => p.text.trim()) ? plain : leaves;
  const text = chosen.map((l) => (l.type === 'html' || /<html|<body|<table|<p>|<br>/i.test(l.text) ? htmlToText(l.text) : l.text)).join('\n');
  return truncateText(collapseWhitespace(text), maxChars);
}
