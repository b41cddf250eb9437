/** Turns whatever a transport threw into a NosError with a code, a message and a hint. */
import { NosError, isNosErrorData, type NosErrorData } from '@contract';

/** Electron prefixes errors crossing IPC with "Error invoking remote method 'x': Error: ". */
const IPC_PREFIX = /^Error invoking remote method '[^']+': (?:\w*Error: )?/;

export function toNosError(err: unknown): NosError {
  if (err instanceof NosError) return err;
  if (isNosErrorData(err)) return NosError.fromData(err);
  if (typeof err === 'object' && err !== null && 'error' in err && isNosErrorData(err.error)) {
    return NosError.fromData(err.error);
  }
  const raw = err instanceof Error ? err.message : String(err);
  const message = raw.replace(IPC_PREFIX, '');
  const embedded = parseEmbedded(message);
  if (embedded) return NosError.fromData(embedded);
  return new NosError(
    'INTERNAL',
    message || 'Unknown error',
    'See the log of the NOS process for details.',
  );
}

/** A serialised NosErrorData carried as JSON inside an Error message. */
function parseEmbedded(message: string): NosErrorData | null {
  if (!message.startsWith('{')) return null;
  try {
    const parsed: unknown = JSON.parse(message);
    return isNosErrorData(parsed) ? parsed : null;
  } catch {
    return null;
  }
}
