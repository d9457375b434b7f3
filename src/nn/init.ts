import { ConfigError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { allocate, type Data, type DType } from "../tensor/tensor.js";

/**
 * Weight initialisers (Glorot & Bengio 2010; He et al. 2015; LeCun et al. 1998), named as in Keras.
 * Uniform variants draw from U(−limit, limit); normal ones from N(0, std²) (not truncated).
 */
export type InitName =
  | "glorotUniform"
  | "glorotNormal"
  | "heUniform"
  | "heNormal"
  | "lecunUniform"
  | "lecunNormal"
  | "zeros";

export const INIT_NAMES: readonly InitName[] = [
  "glorotUniform",
  "glorotNormal",
  "heUniform",
  "heNormal",
  "lecunUniform",
  "lecunNormal",
  "zeros",
];

/** Short aliases accepted in run configs: "glorot" → glorotUniform, "he" → heNormal, "lecun" → lecunNormal. */
const ALIASES: Record<string, InitName> = {
  glorot: "glorotUniform",
  he: "heNormal",
  lecun: "lecunNormal",
  xavier: "glorotUniform",
};

export function resolveInit(name: string, field = "init"): InitName {
  if ((INIT_NAMES as readonly string[]).includes(name)) return name as InitName;
  if (name in ALIASES) return ALIASES[name];
  throw new ConfigError(
    `${field}: unknown initialiser "${name}"; expected one of ${[...INIT_NAMES, ...Object.keys(ALIASES)].join(", ")}`,
    { field },
  );
}

/** Fill a new array of `size` values drawn by `init` for a layer with these fans. */
export function initialize(
  init: InitName,
  size: number,
  fanIn: number,
  fanOut: number,
  rng: Rng,
  dtype: DType = "float32",
): Data {
  const out = allocate(dtype, size);
  const uniform = (limit: number) => {
    for (let i = 0; i < size; i++) out[i] = rng.uniform(-limit, limit);
  };
  const normal = (std: number) => {
    for (let i = 0; i < size; i++) out[i] = std * rng.normal();
  };
  switch (init) {
    case "glorotUniform":
      uniform(Math.sqrt(6 / (fanIn + fanOut)));
      break;
    case "glorotNormal":
      normal(Math.sqrt(2 / (fanIn + fanOut)));
      break;
    case "heUniform":
      uniform(Math.sqrt(6 / fanIn));
      break;
    case "heNormal":
      normal(Math.sqrt(2 / fanIn));
      break;
    case "lecunUniform":
      uniform(Math.sqrt(3 / fanIn));
      break;
    case "lecunNormal":
      normal(Math.sqrt(1 / fanIn));
      break;
    case "zeros":
      break;
  }
  return out;
}
