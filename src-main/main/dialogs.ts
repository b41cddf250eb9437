/**
 * The desktop-only part of the API: native open and save dialogs. They exist only in Electron;
 * the browser transport has none and the renderer types paths or downloads instead. The user
 * picks every path these methods touch, so `saveContent` writes only where the user said.
 */
import { dialog, type BrowserWindow, type OpenDialogOptions } from 'electron';
import { NosError, type DesktopPayload, type DialogResult, type NosDesktopApi } from '../contract';
import { writeFileAtomic } from '../util/atomic-file';

export function createDesktopApi(getWindow: () => BrowserWindow | null): NosDesktopApi {
  const parent = (): BrowserWindow => {
    const win = getWindow();
    if (!win) {
      throw new NosError('CONFLICT', 'No NOS Studio window is open to attach a dialog to.');
    }
    return win;
  };

  const askSavePath = async (p: DesktopPayload<'saveDialog'>): Promise<string | null> => {
    const res = await dialog.showSaveDialog(parent(), {
      title: p.title,
      defaultPath: p.defaultName,
      filters: p.filters,
    });
    return res.canceled || !res.filePath ? null : res.filePath;
  };

  return {
    async openDialog(p): Promise<DialogResult> {
      const properties: OpenDialogOptions['properties'] =
        p.kind === 'folder' ? ['openDirectory'] : ['openFile'];
      const res = await dialog.showOpenDialog(parent(), {
        title: p.title,
        properties,
        filters: p.filters,
      });
      return { path: res.canceled ? null : (res.filePaths[0] ?? null) };
    },

    async saveDialog(p): Promise<DialogResult> {
      return { path: await askSavePath(p) };
    },

    async saveContent(p): Promise<DialogResult> {
      const path = await askSavePath({ defaultName: p.defaultName, filters: p.filters });
      if (path === null) return { path: null };
      const data = p.encoding === 'base64' ? Buffer.from(p.content, 'base64') : p.content;
      try {
        writeFileAtomic(path, data);
      } catch (err) {
        throw new NosError(
          'STORAGE',
          `Cannot write ${path}: ${(err as Error).message}`,
          'Pick a folder you can write to.',
        );
      }
      return { path };
    },
  };
}
