// A Hugging Face Hub stood up on 127.0.0.1 for tests, speaking the endpoints the official client
// (@huggingface/hub) calls for tuneshot: model info by revision, the recursive file tree (paged
// with a Link header), and resolve/<rev>/<path> with ETag, X-Repo-Commit, X-Linked-Etag/Size and
// Range. LFS files redirect to a second "CDN" server, which must never see the Hub token.
// Gated repos answer 401/403 with X-Error-Code: GatedRepo on downloads, as the Hub does.
// (Not a test file itself.)
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HubFile {
  path: string;
  content: Buffer;
  lfs: boolean;
  /** git blob sha1 (non-LFS) or sha256 (LFS): the cache's blob name. */
  etag: string;
  oid: string;
}

interface Repo {
  id: string;
  commits: Map<string, Map<string, HubFile>>;
  refs: Map<string, string>;
  gated: boolean;
}

export interface RequestLog {
  method: string;
  url: string;
  range?: string;
  authorization?: string;
  server: 'hub' | 'cdn';
}

const gitSha1 = (b: Buffer) => createHash('sha1').update(`blob ${b.length}\0`).update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const isLfs = (p: string, b: Buffer) => /\.(safetensors|bin|h5|pt|msgpack)$/.test(p) || b.length > 64 * 1024;

export class FakeHub {
  readonly log: RequestLog[] = [];
  /** The one token with access to gated repos. */
  readonly validToken = 'hf_testTokenWithAccess';
  /** Next download of this path stops after `bytes` bytes (the connection is destroyed). */
  cutNext?: { path: string; bytes: number };
  /** Entries per page of the tree listing (the real Hub pages too). */
  treePageSize = 4;
  url = '';
  private cdnUrl = '';
  private repos = new Map<string, Repo>();
  private blobs = new Map<string, Buffer>();
  private hub?: Server;
  private cdn?: Server;

  /** Add (or update) a repo; files become one new commit on `branch`. Returns the commit hash. */
  addRepo(id: string, files: Record<string, Buffer | string>, o: { branch?: string; gated?: boolean } = {}): string {
    const repo = this.repos.get(id) ?? { id, commits: new Map(), refs: new Map(), gated: !!o.gated };
    repo.gated = o.gated ?? repo.gated;
    const commit = randomBytes(20).toString('hex');
    const tree = new Map<string, HubFile>();
    for (const [p, c] of Object.entries(files)) {
      const content = Buffer.isBuffer(c) ? c : Buffer.from(c);
      const lfs = isLfs(p, content);
      const f: HubFile = { path: p, content, lfs, oid: gitSha1(lfs ? Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${sha256(content)}\nsize ${content.length}\n`) : content), etag: lfs ? sha256(content) : gitSha1(content) };
      tree.set(p, f);
      if (lfs) this.blobs.set(f.etag, content);
    }
    repo.commits.set(commit, tree);
    repo.refs.set(o.branch ?? 'main', commit);
    this.repos.set(id, repo);
    return commit;
  }

  file(id: string, commit: string, p: string): HubFile {
    return this.repos.get(id)!.commits.get(commit)!.get(p)!;
  }

  requests(server: 'hub' | 'cdn' = 'hub'): RequestLog[] {
    return this.log.filter((r) => r.server === server);
  }

  async start(): Promise<this> {
    this.cdn = createServer((req, res) => this.serveCdn(req, res));
    this.hub = createServer((req, res) => this.serveHub(req, res).catch((e: unknown) => { res.statusCode = 500; res.end(String(e)); }));
    const listen = (s: Server) => new Promise<string>((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));
    this.url = await listen(this.hub);
    this.cdnUrl = await listen(this.cdn);
    return this;
  }

  async close(): Promise<void> {
    for (const s of [this.hub, this.cdn]) {
      if (!s) continue;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }

  private record(req: IncomingMessage, server: 'hub' | 'cdn') {
    this.log.push({
      method: req.method ?? 'GET', url: req.url ?? '', server,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });
  }

  private error(res: ServerResponse, status: number, code: string, message: string) {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code, 'X-Error-Message': message });
    res.end(JSON.stringify({ error: message }));
  }

  private commitOf(repo: Repo, rev: string): string | undefined {
    return repo.commits.has(rev) ? rev : repo.refs.get(rev);
  }

  private async serveHub(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.record(req, 'hub');
    const url = new URL(req.url ?? '/', this.url);
    const p = decodeURIComponent(url.pathname);
    const auth = req.headers.authorization;
    // Tokens the Hub does not know get 401 on every call; known ones without access, 403 on gated files.
    if (auth?.startsWith('Bearer hf_invalid')) return this.error(res, 401, 'InvalidCredentials', 'Invalid credentials in Authorization header');
    let m = /^\/api\/models\/(.+?)\/(revision|tree)\/([^/]+)$/.exec(p);
    if (m) {
      const [, id, kind, rev] = m as unknown as [string, string, string, string];
      const repo = this.repos.get(id);
      if (!repo) return this.error(res, 401, 'RepoNotFound', 'Repository not found');
      const commit = this.commitOf(repo, rev);
      if (!commit) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      if (kind === 'revision') {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({
          _id: createHash('md5').update(id).digest('hex').slice(0, 24), id, sha: commit, private: false, gated: repo.gated ? 'manual' : false,
          pipeline_tag: 'text-classification', downloads: 0, likes: 0, lastModified: new Date(0).toISOString(),
          siblings: [...repo.commits.get(commit)!.keys()].map((rfilename) => ({ rfilename })),
        }));
        return;
      }
      const files = [...repo.commits.get(commit)!.values()];
      const dirs = [...new Set(files.flatMap((f) => f.path.split('/').slice(0, -1).map((_, i, a) => a.slice(0, i + 1).join('/'))))];
      const entries = [
        ...dirs.map((d) => ({ type: 'directory', oid: gitSha1(Buffer.from(d)), size: 0, path: d })),
        ...files.map((f) => ({ type: 'file', oid: f.oid, size: f.lfs ? 134 : f.content.length, path: f.path, ...(f.lfs ? { lfs: { oid: f.etag, size: f.content.length, pointerSize: 134 } } : {}) })),
      ];
      const cursor = Number(url.searchParams.get('cursor') ?? 0);
      const page = entries.slice(cursor, cursor + this.treePageSize);
      const headers: Record<string, string> = { 'Content-Type': 'application/json' };
      if (cursor + this.treePageSize < entries.length) {
        const next = new URL(url);
        next.searchParams.set('cursor', String(cursor + this.treePageSize));
        headers['Link'] = `<${next.href}>; rel="next"`;
      }
      res.writeHead(200, headers);
      res.end(JSON.stringify(page));
      return;
    }
    m = /^\/(.+?)\/resolve\/([^/]+)\/(.+)$/.exec(p);
    if (m) {
      const [, id, rev, file] = m as unknown as [string, string, string, string];
      const repo = this.repos.get(id);
      if (!repo) return this.error(res, 401, 'RepoNotFound', 'Repository not found');
      if (repo.gated && auth !== `Bearer ${this.validToken}`) {
        const msg = `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`;
        return this.error(res, auth ? 403 : 401, 'GatedRepo', msg);
      }
      const commit = this.commitOf(repo, rev);
      if (!commit) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
      const f = repo.commits.get(commit)!.get(file);
      if (!f) return this.error(res, 404, 'EntryNotFound', `${file} does not exist on "${rev}"`);
      const headers: Record<string, string> = { 'X-Repo-Commit': commit, ETag: `"${f.lfs ? f.oid : f.etag}"` };
      if (f.lfs) {
        res.writeHead(302, { ...headers, 'X-Linked-Etag': `"${f.etag}"`, 'X-Linked-Size': String(f.content.length), Location: `${this.cdnUrl}/blobs/${f.etag}?name=${encodeURIComponent(file)}` });
        res.end();
        return;
      }
      this.sendBytes(req, res, f.content, headers, file);
      return;
    }
    this.error(res, 404, 'NotFound', `no route for ${p}`);
  }

  private serveCdn(req: IncomingMessage, res: ServerResponse): void {
    this.record(req, 'cdn');
    const url = new URL(req.url ?? '/', this.cdnUrl);
    const etag = url.pathname.replace(/^\/blobs\//, '');
    const content = this.blobs.get(etag);
    if (!content) {
      res.writeHead(404);
      res.end();
      return;
    }
    this.sendBytes(req, res, content, { ETag: `"${etag}"` }, url.searchParams.get('name') ?? '');
  }

  private sendBytes(req: IncomingMessage, res: ServerResponse, content: Buffer, headers: Record<string, string>, name: string): void {
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    let start = 0, end = content.length - 1, status = 200;
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), content.length - 1) : content.length - 1;
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${content.length}`;
    }
    const body = content.subarray(start, end + 1);
    res.writeHead(status, { ...headers, 'Accept-Ranges': 'bytes', 'Content-Length': String(body.length), 'Content-Type': 'application/octet-stream' });
    if (req.method === 'HEAD') return void res.end();
    const cut = this.cutNext;
    if (cut && cut.path === name && body.length > 1) {
      this.cutNext = undefined;
      res.write(body.subarray(0, cut.bytes), () => setTimeout(() => res.destroy(), 20));
      return;
    }
    res.end(body);
  }
}
