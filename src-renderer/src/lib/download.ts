/**
 * Saving files from the page: the native save dialog under Electron (saveContent), a browser
 * download otherwise. Returns where it went, for the status line.
 */
import type { ExportFile } from '../api/types';
import { api } from '../api/client';

export async function saveFile(
  filename: string,
  content: string,
  encoding: 'utf8' | 'base64',
  mime: string,
): Promise<string> {
  const saveContent = api().saveContent;
  if (saveContent) {
    const ext = filename.split('.').pop() ?? '';
    const res = await saveContent({
      defaultName: filename,
      content,
      encoding,
      filters: [{ name: ext.toUpperCase(), extensions: [ext] }],
    });
    return res.path ?? 'cancelled';
  }
  const bytes = encoding === 'base64' ? base64ToBytes(content) : new TextEncoder().encode(content);
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  return `downloaded ${filename}`;
}

/** An export the API returned inline: offer it as a file; one written to disk needs nothing. */
export async function deliverExport(file: ExportFile): Promise<string> {
  if (file.path) return file.path;
  if (file.content === null) return `${file.filename}: no content`;
  return saveFile(file.filename, file.content, file.encoding ?? 'utf8', file.mimeType);
}

function base64ToBytes(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** Blob -> base64 (no data: prefix). */
export async function blobToBase64(blob: Blob): Promise<string> {
  const buf = new Uint8Array(await blob.arrayBuffer());
  let bin = '';
  for (let i = 0; i < buf.length; i += 0x8000)
    bin += String.fromCharCode(...buf.subarray(i, i + 0x8000));
  return btoa(bin);
}
