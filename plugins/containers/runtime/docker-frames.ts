import type { LogLine, ResourceStats } from './runtime-adapter.ts';

/**
 * Docker's multiplexed log stream (a container without a TTY): frames of an 8-byte header
 * `[stream, 0, 0, 0, size as big-endian uint32]` and `size` bytes of payload; stream 1 is stdout,
 * 2 stderr (0, stdin, is never sent). Frames split anywhere across chunks, and a line can span frames,
 * so bytes are kept per stream until a newline ends the line.
 */
export class DockerLogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private readonly partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };

  constructor(
    private readonly onLine: (line: LogLine) => void,
    /** A TTY container's stream is raw: no frames, everything is stdout. */
    private readonly raw = false,
    private readonly timestamps = true,
  ) {}

  push(chunk: Buffer): void {
    if (this.raw) {
      this.text('stdout', chunk.toString('utf8'));
      return;
    }
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const size = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + size) break;
      const stream = this.pending[0] === 2 ? 'stderr' : 'stdout';
      this.text(stream, this.pending.subarray(8, 8 + size).toString('utf8'));
      this.pending = this.pending.subarray(8 + size);
    }
  }

  /** Emits what is left of unterminated lines (the stream ended). */
  end(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      if (this.partial[stream] !== '') this.emit(stream, this.partial[stream]);
      this.partial[stream] = '';
    }
  }

  private text(stream: 'stdout' | 'stderr', text: string) {
    const lines = (this.partial[stream] + text).split('\n');
    this.partial[stream] = lines.pop() ?? '';
    for (const line of lines) this.emit(stream, line.endsWith('\r') ? line.slice(0, -1) : line);
  }

  private emit(stream: 'stdout' | 'stderr', line: string) {
    if (this.timestamps) {
      const space = line.indexOf(' ');
      const stamp = space > 0 ? line.slice(0, space) : '';
      if (/^\d{4}-\d{2}-\d{2}T[\d:.]+(Z|[+-]\d{2}:\d{2})$/.test(stamp)) {
        this.onLine({ stream, at: stamp, message: line.slice(space + 1) });
        return;
      }
    }
    this.onLine({ stream, at: null, message: line });
  }
}

/** Whether a log answer is framed: by its content type (API 1.42+), else by the shape of its first header. */
export function isMultiplexed(contentType: string | undefined, firstBytes: Buffer): boolean {
  if (contentType?.includes('multiplexed-stream')) return true;
  if (contentType?.includes('raw-stream') && firstBytes.length === 0) return false;
  return firstBytes.length >= 8 && firstBytes[0] <= 2 && firstBytes[1] === 0 && firstBytes[2] === 0 && firstBytes[3] === 0;
}

/** The fields of Docker's stats document that are read (cgroup v1 and v2 alike). */
export interface DockerStats {
  read?: string;
  cpu_stats?: { cpu_usage?: { total_usage?: number; percpu_usage?: number[] }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes?: number; tx_bytes?: number }>;
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  pids_stats?: { current?: number };
}

/**
 * A reading as `docker stats` shows it: CPU as the share of one CPU (100 % = one core busy, so a
 * container can exceed 100 % on many cores), memory without the page cache the kernel can drop.
 */
export function statsFromDocker(doc: DockerStats, fallbackAt: Date): ResourceStats {
  const cpu = doc.cpu_stats ?? {};
  const pre = doc.precpu_stats ?? {};
  const cpuDelta = (cpu.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cpu.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  const cpus = cpu.online_cpus ?? cpu.cpu_usage?.percpu_usage?.length ?? 1;
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;
  const memory = doc.memory_stats ?? {};
  const cache = memory.stats?.inactive_file ?? memory.stats?.total_inactive_file ?? memory.stats?.cache ?? 0;
  const usage = Math.max(0, (memory.usage ?? 0) - cache);
  let rx = 0;
  let tx = 0;
  for (const network of Object.values(doc.networks ?? {})) {
    rx += network.rx_bytes ?? 0;
    tx += network.tx_bytes ?? 0;
  }
  let read = 0;
  let written = 0;
  for (const entry of doc.blkio_stats?.io_service_bytes_recursive ?? []) {
    if (/^read$/i.test(entry.op)) read += entry.value;
    else if (/^write$/i.test(entry.op)) written += entry.value;
  }
  const at = doc.read && !doc.read.startsWith('0001') ? new Date(doc.read) : fallbackAt;
  return {
    at: Number.isNaN(at.getTime()) ? fallbackAt : at,
    cpuPercent: Math.round(cpuPercent * 100) / 100,
    memoryBytes: usage,
    // Docker reports the host's memory as the limit of an unlimited container.
    memoryLimitBytes: memory.limit && memory.limit > 0 ? memory.limit : null,
    networkRxBytes: rx,
    networkTxBytes: tx,
    blockReadBytes: read,
    blockWriteBytes: written,
    pids: doc.pids_stats?.current ?? null,
  };
}
