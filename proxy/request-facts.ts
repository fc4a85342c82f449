// What route matching may look at in a request, extracted without I/O. Cookies and query
// parameters are parsed only when a rule asks for them (most requests never need them).

/** Request headers as Node presents them: lower-case names, repeated headers joined or in arrays. */
export type HeaderBag = Readonly<Record<string, string | string[] | undefined>>;

export class RequestFacts {
  readonly method: string;
  /** Path without the query string, as received (no decoding or normalisation). */
  readonly path: string;
  private readonly rawQuery: string;
  private cookieMap: ReadonlyMap<string, string> | undefined;
  private queryMap: ReadonlyMap<string, string> | undefined;

  constructor(
    method: string,
    url: string,
    readonly headers: HeaderBag,
  ) {
    this.method = method;
    const q = url.indexOf('?');
    this.path = q === -1 ? url : url.slice(0, q);
    this.rawQuery = q === -1 ? '' : url.slice(q + 1);
  }

  /** Value of a header (name in lower case); repeated headers are joined with ", ". */
  header(name: string): string | undefined {
    const value = this.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  }

  cookie(name: string): string | undefined {
    this.cookieMap ??= parseCookies(this.header('cookie'));
    return this.cookieMap.get(name);
  }

  queryParam(name: string): string | undefined {
    this.queryMap ??= parseQuery(this.rawQuery);
    return this.queryMap.get(name);
  }
}

/** Parses a Cookie header; the first occurrence of a name wins (RFC 6265 sends the most specific first). */
export function parseCookies(header: string | undefined): ReadonlyMap<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1) continue;
    const name = pair.slice(0, eq).trim();
    if (name.length === 0 || cookies.has(name)) continue;
    let value = pair.slice(eq + 1).trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    cookies.set(name, value);
  }
  return cookies;
}

/** Parses a query string (without "?"); names and values are percent-decoded, the first value of a name wins. */
export function parseQuery(query: string): ReadonlyMap<string, string> {
  const params = new Map<string, string>();
  if (query.length === 0) return params;
  for (const part of query.split('&')) {
    if (part.length === 0) continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    if (params.has(name)) continue;
    params.set(name, eq === -1 ? '' : decodeComponent(part.slice(eq + 1)));
  }
  return params;
}

function decodeComponent(s: string): string {
  const spaced = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!spaced.includes('%')) return spaced;
  try {
    return decodeURIComponent(spaced);
  } catch {
    // Malformed escapes are matched as sent rather than failing the request.
    return spaced;
  }
}
