/**
 * The Content-Security-Policy of the desktop window. The renderer is untrusted code as far as
 * the main process is concerned: it may load only the app's own scripts and styles, talk to
 * nothing over the network (the API goes through IPC), and show images from itself or from the
 * data: and blob: URLs the dataset previews and cell exports use. Vue and ECharts set style
 * attributes, so styles allow 'unsafe-inline'; scripts never do.
 */

/** `devServer`: the Vite dev server origin in `electron-vite dev` (its HMR socket too). */
export function desktopCsp(devServer?: string): string {
  const dev = devServer ? new URL(devServer) : null;
  const self = dev ? `'self' ${dev.origin}` : "'self'";
  const connect = dev ? `'self' ${dev.origin} ws://${dev.host}` : "'none'";
  return [
    "default-src 'none'",
    `script-src ${self}`,
    `style-src ${self} 'unsafe-inline'`,
    `img-src ${self} data: blob:`,
    `font-src ${self}`,
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
