import type { Page } from "playwright-core";

/**
 * Fraction of pixels of a PNG screenshot that differ from its top-left pixel (the background), decoded
 * by the browser itself: a blank chart gives 0.
 */
export async function inkFraction(page: Page, png: Buffer): Promise<number> {
  return page.evaluate(async (b64: string) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = img.width;
    canvas.height = img.height;
    const g = canvas.getContext("2d")!;
    g.drawImage(img, 0, 0);
    const d = g.getImageData(0, 0, img.width, img.height).data;
    let ink = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 24) ink++;
    }
    return ink / (d.length / 4);
  }, png.toString("base64"));
}
