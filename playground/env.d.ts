declare module "*.css";

/** The bundled digits, built into the page by the plugin in vite.config.ts: base64 bytes. */
declare module "virtual:homeostat-digits" {
  /** count × 784 pixels, 0–255. */
  export const pixels: string;
  /** count labels, 0–9. */
  export const labels: string;
  export const count: number;
}

/** A file Vite copies into the bundle, imported as its URL. */
declare module "*.wasm?url" {
  const url: string;
  export default url;
}
