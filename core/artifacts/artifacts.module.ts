import { coreFragments } from '../contract/core-fragments.ts';
import { AppError } from '../errors/app-error.ts';
import type { CoreModule } from '../kernel/core-module.ts';
import type { OperationRequest } from '../plugin-api/index.ts';
import type { ArtifactStore } from './artifact-store.ts';

/** `filename="…"` safe for any name: ASCII fallback plus the RFC 5987 UTF-8 form. */
function attachment(fileName: string): string {
  const ascii = fileName.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(fileName)}`;
}

/** Downloads through signed links; the signature, not a session, authorizes them. */
export function artifactsModule(deps: { store: ArtifactStore }): CoreModule {
  return {
    id: 'artifacts',
    openapi: coreFragments.artifacts,
    handlers: {
      async downloadArtifact(req: OperationRequest<unknown, { id: string }, { expires: number; signature: string }>) {
        const opened = await deps.store.openSigned(req.params.id, req.query.expires, req.query.signature);
        if (opened === 'missing') throw new AppError('not_found', `Artifact ${req.params.id} was not found`);
        if (opened === 'invalid') throw new AppError('forbidden', 'The link’s signature does not match; ask the job for a fresh link');
        if (opened === 'expired') throw new AppError('gone', 'This link or its file expired; read the job again for a fresh link');
        return {
          status: 200,
          headers: {
            'Content-Type': opened.row.content_type,
            'Content-Length': String(opened.row.size_bytes),
            'Content-Disposition': attachment(opened.row.file_name),
            'Cache-Control': 'private, no-store',
          },
          body: opened.stream,
        };
      },
    },
  };
}
