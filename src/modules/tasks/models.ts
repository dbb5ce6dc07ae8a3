// The Wan 2.7 capabilities the gateway understands. A model name is usable when it maps to a
// capability here and has a row in `model_prices`.

export const CAPABILITIES = ['t2v', 'i2v', 'r2v', 'videoedit'] as const;
export type Capability = (typeof CAPABILITIES)[number];

// Dated snapshots such as "wan2.7-t2v-2026-04-25" behave like their family.
const MODEL_PATTERN = /^wan2\.7-(t2v|i2v|r2v|videoedit)(?:-[A-Za-z0-9.-]+)?$/;

export function capabilityOf(model: string): Capability | undefined {
  return MODEL_PATTERN.exec(model)?.[1] as Capability | undefined;
}

/** The task record's `action`, as EasyRouter names it for t2v and i2v. */
export const ACTION_BY_CAPABILITY: Record<Capability, string> = {
  t2v: 'textGenerate',
  i2v: 'generate',
  r2v: 'referenceGenerate',
  videoedit: 'videoEdit',
};

export const RESOLUTIONS = ['720P', '1080P'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const RATIOS = ['16:9', '9:16', '1:1', '4:3', '3:4'] as const;
export type Ratio = (typeof RATIOS)[number];

/** Output frame size of wan2.7 by resolution tier and aspect ratio (DashScope's table). */
export const FRAME_SIZES: Record<Resolution, Record<Ratio, [number, number]>> = {
  '720P': { '16:9': [1280, 720], '9:16': [720, 1280], '1:1': [960, 960], '4:3': [1104, 832], '3:4': [832, 1104] },
  '1080P': { '16:9': [1920, 1080], '9:16': [1080, 1920], '1:1': [1440, 1440], '4:3': [1648, 1248], '3:4': [1248, 1648] },
};

export const DURATION_LIMITS = { min: 2, max: 15, maxWithReferenceVideo: 10, default: 5 } as const;

/**
 * videoedit's output follows its source video (up to 15 s), which is unknown at submit: it is
 * charged for the maximum and the worker refunds the difference once the real length is known.
 */
export const VIDEOEDIT_BILLED_SECONDS = 15;

/** The Ratio whose shape is closest to width:height. */
export function nearestRatio(width: number, height: number): Ratio {
  const aspect = width / height;
  const shape = (r: Ratio) => {
    const [w, h] = r.split(':').map(Number) as [number, number];
    return Math.abs(Math.log(aspect / (w / h)));
  };
  return RATIOS.reduce((best, r) => (shape(r) < shape(best) ? r : best));
}

/** The tier whose frames are closest in size to a width × height frame. */
export function nearestResolution(width: number, height: number): Resolution {
  const pixels = width * height;
  const distance = (tier: Resolution) => Math.abs(Math.log(pixels / (FRAME_SIZES[tier]['16:9'][0] * FRAME_SIZES[tier]['16:9'][1])));
  return RESOLUTIONS.reduce((best, tier) => (distance(tier) < distance(best) ? tier : best));
}

export const frameSize = (resolution: Resolution, ratio: Ratio): string => FRAME_SIZES[resolution][ratio].join('x');
