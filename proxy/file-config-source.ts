// Snapshots from a YAML or JSON file, for local use and tests. Watches the file's directory
// (editors and Kubernetes ConfigMap mounts replace files rather than write them in place)
// and also re-reads it periodically, applying only when the content changed.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import type { ConfigSink, ConfigSource } from './config-source.js';

export interface FileConfigSourceOptions {
  /** Re-read interval, a fallback for file systems that do not report changes. Default 2000. */
  readonly pollIntervalMs?: number;
  /** Quiet time after a change event before reading, so half-written files are not read. Default 100. */
  readonly debounceMs?: number;
}

export class FileConfigSource implements ConfigSource {
  readonly description: string;
  private watcher: FSWatcher | undefined;
  private poller: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private lastContent: string | undefined;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly path: string,
    private readonly logger: Logger,
    private readonly options: FileConfigSourceOptions = {},
  ) {
    this.description = `file ${path}`;
  }

  async start(sink: ConfigSink): Promise<void> {
    this.stopped = false;
    await this.reload(sink);
    const file = basename(this.path);
    try {
      this.watcher = watch(dirname(this.path), (_event, name) => {
        // ConfigMap mounts swap a `..data` symlink: any change in the directory may matter.
        if (name === null || name === file || name.startsWith('..')) this.schedule(sink);
      });
      this.watcher.on('error', (err) => this.logger.warn({ err, path: this.path }, 'config file watch failed; polling only'));
    } catch (err) {
      this.logger.warn({ err, path: this.path }, 'cannot watch config file; polling only');
    }
    this.poller = setInterval(() => this.schedule(sink), this.options.pollIntervalMs ?? 2000);
    this.poller.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    clearInterval(this.poller);
    clearTimeout(this.debounce);
    await this.reading;
  }

  private schedule(sink: ConfigSink): void {
    if (this.stopped) return;
    clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.reading = this.reading.then(() => this.reload(sink));
    }, this.options.debounceMs ?? 100);
  }

  private async reload(sink: ConfigSink): Promise<void> {
    if (this.stopped) return;
    let content: string;
    try {
      content = await readFile(this.path, 'utf8');
    } catch (err) {
      this.logger.error({ err, path: this.path }, 'cannot read config file; keeping the current snapshot');
      return;
    }
    if (content === this.lastContent) return;
    this.lastContent = content;
    let raw: unknown;
    try {
      raw = parseYaml(content);
    } catch (err) {
      this.logger.error({ path: this.path, error: (err as Error).message }, 'config file is not valid YAML/JSON; keeping the current snapshot');
      return;
    }
    const result = await sink.applySnapshot(raw);
    if (result.ok) this.logger.info({ path: this.path, version: result.version }, 'config file applied');
    else this.logger.error({ path: this.path, error: result.error }, 'config file rejected; keeping the current snapshot');
  }
}
