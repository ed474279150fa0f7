/**
 * WCAG 2.2 AA contrast of the palette in `base.css`, light and dark: every
 * text colour against every background it is drawn on must reach 4.5:1.
 * The colours are read from the stylesheet itself, so a new shade that is
 * too faint fails here before anyone has to squint at it. Also checks that
 * the not-live clock is not shown by fading its digits out.
 */

import { describe, expect, it } from 'vitest';

/** Node's `fs`, typed for the one call used (Vitest empties `?raw` CSS imports, and the app has no Node types). */
interface ReadsFiles {
  readFileSync(path: URL, encoding: 'utf8'): string;
}
const fs = (globalThis as unknown as { process: { getBuiltinModule(id: 'node:fs'): ReadsFiles } }).process.getBuiltinModule(
  'node:fs',
);
const stylesheet = (relative: string) => fs.readFileSync(new URL(relative, import.meta.url), 'utf8');
const baseCss = stylesheet('./base.css');
const clockCss = stylesheet('../clock/clock.css');

type Rgb = readonly [number, number, number];
type Palette = ReadonlyMap<string, string>;

const DARK_MEDIA = /@media\s*\(prefers-color-scheme:\s*dark\)\s*\{\s*:root\s*\{([^}]*)\}\s*\}/g;
const ROOT_BLOCK = /:root\s*\{([^}]*)\}/g;
const HEX_VARIABLE = /--([\w-]+):\s*(#[0-9a-f]{6})\s*;/gi;

/** The `--name: #rrggbb` declarations of some `:root` blocks, later ones winning. */
function variables(blocks: readonly string[], base: Palette = new Map()): Palette {
  const palette = new Map(base);
  for (const block of blocks) for (const [, name, hex] of block.matchAll(HEX_VARIABLE)) palette.set(name!, hex!);
  return palette;
}

/** The light palette (top-level `:root`) and the dark one (light overridden by the dark media query). */
function palettes(css: string): { light: Palette; dark: Palette } {
  const darkBlocks = [...css.matchAll(DARK_MEDIA)].map((m) => m[1]!);
  const lightBlocks = [...css.replace(DARK_MEDIA, '').matchAll(ROOT_BLOCK)].map((m) => m[1]!);
  const light = variables(lightBlocks);
  return { light, dark: variables(darkBlocks, light) };
}

function rgb(hex: string): Rgb {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** `color-mix(in srgb, top share%, under)`. */
function mix(top: Rgb, share: number, under: Rgb): Rgb {
  return [0, 1, 2].map((i) => top[i]! * share + under[i]! * (1 - share)) as unknown as Rgb;
}

function luminance([r, g, b]: Rgb): number {
  const channel = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Text colours and the backgrounds the stylesheets draw each on. */
const TEXT = ['text', 'muted', 'faint', 'accent', 'ok', 'warn', 'bad', 'idle'];
const BACKGROUNDS = ['bg', 'surface', 'surface-raised'];
/** Badges and highlights: text on a pale fill of another colour. */
const ON_FILLS: ReadonlyArray<readonly [string, string]> = [
  ['text', 'accent-soft'],
  ['muted', 'accent-soft'],
  ['accent', 'accent-soft'],
  ['on-action', 'action'],
];
/** State badges: a tone's text on a 14–16% tint of a tone over a panel. */
const ON_TINTS: ReadonlyArray<readonly [string, string]> = [
  ['ok', 'ok'],
  ['warn', 'warn'],
  ['bad', 'bad'],
  ['idle', 'idle'],
  ['muted', 'idle'],
  ['text', 'warn'],
  ['text', 'bad'],
];
const AA_TEXT = 4.5;

describe.each(['light', 'dark'] as const)('the %s palette', (scheme) => {
  const palette = palettes(baseCss)[scheme];
  const colour = (name: string): Rgb => {
    const hex = palette.get(name);
    if (hex === undefined) throw new Error(`base.css has no --${name} in the ${scheme} palette`);
    return rgb(hex);
  };

  it.each(TEXT.flatMap((fg) => BACKGROUNDS.map((bg) => [fg, bg] as const)))('--%s on --%s is at least 4.5:1', (fg, bg) => {
    expect(contrast(colour(fg), colour(bg))).toBeGreaterThanOrEqual(AA_TEXT);
  });

  it.each(ON_FILLS)('--%s on --%s is at least 4.5:1', (fg, bg) => {
    expect(contrast(colour(fg), colour(bg))).toBeGreaterThanOrEqual(AA_TEXT);
  });

  it.each(ON_TINTS)('--%s on a pale tint of --%s over a panel is at least 4.5:1', (fg, tint) => {
    for (const panel of ['bg', 'surface']) {
      expect(contrast(colour(fg), mix(colour(tint), 0.16, colour(panel)))).toBeGreaterThanOrEqual(AA_TEXT);
    }
  });
});

describe('the not-live clock', () => {
  it('is not shown by fading its digits out', () => {
    const notLive = [...clockCss.matchAll(/\.clock\[data-live='false'\][^{]*\{([^}]*)\}/g)].map((m) => m[1]!);
    expect(notLive.length).toBeGreaterThan(0);
    for (const rule of notLive) expect(rule).not.toMatch(/opacity/);
  });
});
