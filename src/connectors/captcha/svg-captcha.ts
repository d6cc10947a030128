import { randomInt } from 'node:crypto';

/**
 * A self-hosted CAPTCHA for the reset page's identify step (SPEC section 7 step 1): no third-party
 * service, no font files, no `<text>` element. The answer is drawn as `<path>` strokes from the
 * small stroke font below, each glyph moved, turned, scaled and wobbled at random, among noise
 * strokes of the same weight and colours.
 *
 * Only the caller keeps `answer` (hash it into the flow; never send it to the browser). The markup
 * holds no character of the answer: answers are uppercase letters, and the markup is built from
 * lowercase words, relative (lowercase) path commands, numbers and lowercase hex colours.
 */
export interface CaptchaChallenge {
  readonly answer: string;
  readonly svg: string;
}

/** Letters that cannot be mistaken for one another or for digits: no B, I, L, O, Q, S or Z. */
export const captchaAlphabet = 'ACDEFGHJKMNPRTUVWXY';
export const captchaLength = 5;
export const captchaWidth = 200;
export const captchaHeight = 70;

type Point = readonly [number, number];
/** A glyph: polylines on a 4 × 6 grid, y downwards. */
type Glyph = readonly (readonly Point[])[];

const strokeFont: Readonly<Record<string, Glyph>> = {
  A: [
    [
      [0, 6],
      [2, 0],
      [4, 6],
    ],
    [
      [0.8, 3.8],
      [3.2, 3.8],
    ],
  ],
  C: [
    [
      [4, 1],
      [3, 0],
      [1, 0],
      [0, 1],
      [0, 5],
      [1, 6],
      [3, 6],
      [4, 5],
    ],
  ],
  D: [
    [
      [0, 0],
      [0, 6],
      [2.5, 6],
      [4, 4.5],
      [4, 1.5],
      [2.5, 0],
      [0, 0],
    ],
  ],
  E: [
    [
      [4, 0],
      [0, 0],
      [0, 6],
      [4, 6],
    ],
    [
      [0, 3],
      [3, 3],
    ],
  ],
  F: [
    [
      [4, 0],
      [0, 0],
      [0, 6],
    ],
    [
      [0, 3],
      [3, 3],
    ],
  ],
  G: [
    [
      [4, 1],
      [3, 0],
      [1, 0],
      [0, 1],
      [0, 5],
      [1, 6],
      [3, 6],
      [4, 5],
      [4, 3.5],
      [2, 3.5],
    ],
  ],
  H: [
    [
      [0, 0],
      [0, 6],
    ],
    [
      [4, 0],
      [4, 6],
    ],
    [
      [0, 3],
      [4, 3],
    ],
  ],
  J: [
    [
      [1, 0],
      [4, 0],
    ],
    [
      [3, 0],
      [3, 5],
      [2, 6],
      [1, 6],
      [0, 5],
    ],
  ],
  K: [
    [
      [0, 0],
      [0, 6],
    ],
    [
      [4, 0],
      [0, 3.5],
    ],
    [
      [1.4, 2.3],
      [4, 6],
    ],
  ],
  M: [
    [
      [0, 6],
      [0, 0],
      [2, 3.5],
      [4, 0],
      [4, 6],
    ],
  ],
  N: [
    [
      [0, 6],
      [0, 0],
      [4, 6],
      [4, 0],
    ],
  ],
  P: [
    [
      [0, 6],
      [0, 0],
      [3, 0],
      [4, 1],
      [4, 2.2],
      [3, 3.2],
      [0, 3.2],
    ],
  ],
  R: [
    [
      [0, 6],
      [0, 0],
      [3, 0],
      [4, 1],
      [4, 2.2],
      [3, 3.2],
      [0, 3.2],
    ],
    [
      [2, 3.2],
      [4, 6],
    ],
  ],
  T: [
    [
      [0, 0],
      [4, 0],
    ],
    [
      [2, 0],
      [2, 6],
    ],
  ],
  U: [
    [
      [0, 0],
      [0, 5],
      [1, 6],
      [3, 6],
      [4, 5],
      [4, 0],
    ],
  ],
  V: [
    [
      [0, 0],
      [2, 6],
      [4, 0],
    ],
  ],
  W: [
    [
      [0, 0],
      [1, 6],
      [2, 2.5],
      [3, 6],
      [4, 0],
    ],
  ],
  X: [
    [
      [0, 0],
      [4, 6],
    ],
    [
      [4, 0],
      [0, 6],
    ],
  ],
  Y: [
    [
      [0, 0],
      [2, 3],
      [4, 0],
    ],
    [
      [2, 3],
      [2, 6],
    ],
  ],
};

/** Dark colours with good contrast on the light background. */
const inks = ['#1f2d3d', '#2b3a67', '#3b2f2f', '#1d4e4a', '#4a235a', '#283618'];

/**
 * A new challenge: 5 letters of `captchaAlphabet` drawn as a 200 × 70 SVG.
 * `random(n)` must return a whole number from 0 to n - 1 (default `crypto.randomInt`); tests inject
 * a seeded one, and the same sequence always gives the same challenge.
 */
export function createCaptchaChallenge(random: (maxExclusive: number) => number = randomInt): CaptchaChallenge {
  const between = (min: number, max: number, steps = 100) => min + ((max - min) * random(steps + 1)) / steps;
  const pick = <T>(items: readonly T[]): T => items[random(items.length)] as T;

  let answer = '';
  for (let i = 0; i < captchaLength; i++) answer += pick([...captchaAlphabet]);

  const paths: string[] = [];
  const noise = (width: number) => {
    const start: Point = [between(-10, 40), between(5, captchaHeight - 5)];
    const end: Point = [between(captchaWidth - 40, captchaWidth + 10), between(5, captchaHeight - 5)];
    const control1: Point = [between(30, 100), between(-20, captchaHeight + 20)];
    const control2: Point = [between(100, 170), between(-20, captchaHeight + 20)];
    const d = `m${xy(start)}c${xy(minus(control1, start))} ${xy(minus(control2, start))} ${xy(minus(end, start))}`;
    paths.push(stroke(d, pick(inks), width));
  };
  for (let i = 0; i < 3; i++) noise(between(0.8, 1.8, 10));

  const slot = (captchaWidth - 20) / captchaLength;
  [...answer].forEach((letter, index) => {
    const glyph = strokeFont[letter] as Glyph;
    const scale = between(4.8, 6.2);
    const angle = (between(-22, 22) * Math.PI) / 180;
    const centre: Point = [10 + slot * (index + 0.5) + between(-3, 3), captchaHeight / 2 + between(-7, 7)];
    const ink = pick(inks);
    const width = between(2.2, 3.4, 12);
    for (const polyline of glyph) {
      const points = polyline.map(([x, y]) => {
        // Grid centre to the origin, scale, turn, move to the slot, then wobble each point a little.
        const gx = (x - 2) * scale;
        const gy = (y - 3) * scale;
        return [
          centre[0] + gx * Math.cos(angle) - gy * Math.sin(angle) + between(-1.2, 1.2, 24),
          centre[1] + gx * Math.sin(angle) + gy * Math.cos(angle) + between(-1.2, 1.2, 24),
        ] as Point;
      });
      const [first, ...rest] = points as [Point, ...Point[]];
      let previous = first;
      const steps = rest.map((point) => {
        const step = xy(minus(point, previous));
        previous = point;
        return step;
      });
      paths.push(stroke(`m${xy(first)}l${steps.join(' ')}`, ink, width));
    }
  });
  // Two more noise strokes nearly as heavy as the letters, drawn over them.
  for (let i = 0; i < 2; i++) noise(between(1.6, 2.4, 8));

  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${captchaWidth} ${captchaHeight}" ` +
    `width="${captchaWidth}" height="${captchaHeight}" role="img" ` +
    `aria-label="security check: type the ${captchaLength} letters shown in this picture">` +
    `<rect width="${captchaWidth}" height="${captchaHeight}" fill="#f4f1ea"/>` +
    `<g fill="none" stroke-linecap="round" stroke-linejoin="round">${paths.join('')}</g></svg>`;
  return { answer, svg };
}

/** What the user typed, ready to compare with `answer`: trimmed, spaces removed, uppercase. */
export function normalizeCaptchaAnswer(input: string): string {
  return input.trim().replace(/\s+/g, '').toUpperCase();
}

function minus(a: Point, b: Point): Point {
  return [a[0] - b[0], a[1] - b[1]];
}

function xy(point: Point): string {
  return `${number(point[0])} ${number(point[1])}`;
}

function number(value: number): string {
  const rounded = Math.round(value * 10) / 10;
  return (Object.is(rounded, -0) ? 0 : rounded).toString();
}

function stroke(d: string, ink: string, width: number): string {
  return `<path d="${d}" stroke="${ink}" stroke-width="${number(width)}"/>`;
}
