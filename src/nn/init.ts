/**
 * Weight initialisers (Glorot & Bengio 2010; He et al. 2015; LeCun et al. 1998), named as in Keras, and
 * the `initializers` registry a layer's `init` is looked up in. Uniform variants draw from
 * U(−limit, limit); normal ones from N(0, std²) (not truncated).
 */
import { ConfigError } from "../tensor/errors.js";
import { type Kind, Registry } from "../config/registry.js";
import type { Rng } from "../tensor/rng.js";
import { allocate, type Data, type DType } from "../tensor/tensor.js";

/** The built-in weight initialisers' names. */
export type InitName =
  | "glorotUniform"
  | "glorotNormal"
  | "heUniform"
  | "heNormal"
  | "lecunUniform"
  | "lecunNormal"
  | "zeros";

/** A built-in initialiser's name, or the name of one a user registered. */
export type InitChoice = InitName | (string & {});

/** Fills `out` (zeros on entry) with a layer's initial weights, drawing from `rng`. */
export type InitFill = (out: Data, fanIn: number, fanOut: number, rng: Rng) => void;

const uniform =
  (limit: (fanIn: number, fanOut: number) => number): InitFill =>
  (out, fanIn, fanOut, rng) => {
    const l = limit(fanIn, fanOut);
    for (let i = 0; i < out.length; i++) out[i] = rng.uniform(-l, l);
  };
const normal =
  (std: (fanIn: number, fanOut: number) => number): InitFill =>
  (out, fanIn, fanOut, rng) => {
    const s = std(fanIn, fanOut);
    for (let i = 0; i < out.length; i++) out[i] = s * rng.normal();
  };

const init = (name: string, doc: string, fill: InitFill): Kind<InitFill> => ({
  name,
  doc,
  options: {},
  create: () => fill,
});

/** The built-in initialisers, typed so that a name without an entry fails to compile. */
const BUILTIN = {
  glorotUniform: init(
    "glorotUniform",
    "U(±√(6/(fanIn+fanOut))) (Glorot & Bengio 2010).",
    uniform((i, o) => Math.sqrt(6 / (i + o))),
  ),
  glorotNormal: init(
    "glorotNormal",
    "N(0, 2/(fanIn+fanOut)).",
    normal((i, o) => Math.sqrt(2 / (i + o))),
  ),
  heUniform: init(
    "heUniform",
    "U(±√(6/fanIn)) (He et al. 2015).",
    uniform((i) => Math.sqrt(6 / i)),
  ),
  heNormal: init(
    "heNormal",
    "N(0, 2/fanIn) (He et al. 2015).",
    normal((i) => Math.sqrt(2 / i)),
  ),
  lecunUniform: init(
    "lecunUniform",
    "U(±√(3/fanIn)) (LeCun et al. 1998).",
    uniform((i) => Math.sqrt(3 / i)),
  ),
  lecunNormal: init(
    "lecunNormal",
    "N(0, 1/fanIn); suits SELU.",
    normal((i) => Math.sqrt(1 / i)),
  ),
  zeros: init("zeros", "All zeros.", () => {}),
} satisfies Record<InitName, Kind<InitFill>>;

/** Every built-in initialiser's name, in registry order. */
export const INIT_NAMES = Object.keys(BUILTIN) as readonly InitName[];

/**
 * Every initialiser a layer may name, the user's included.
 *
 * @example
 * initializers.register({ name: "ones", doc: "All ones.", options: {}, create: () => (out) => out.fill(1) });
 */
export const initializers = new Registry<InitFill>("initialiser", "init", Object.values(BUILTIN));

/** Short aliases accepted in run configs: "glorot" → glorotUniform, "he" → heNormal, "lecun" → lecunNormal. */
const ALIASES: Record<string, InitName> = {
  glorot: "glorotUniform",
  he: "heNormal",
  lecun: "lecunNormal",
  xavier: "glorotUniform",
};

/** The names an `init` option accepts: the registry's and the aliases (a NameSource for option specs). */
export const initNames = {
  what: "initialiser",
  has: (name: string): boolean => initializers.has(name) || Object.hasOwn(ALIASES, name),
  names: (): string[] => [...initializers.names(), ...Object.keys(ALIASES)],
};

/** The registered initialiser `name` stands for (an alias resolved); else a ConfigError naming `field`. */
export function resolveInit(name: string, field = "init"): InitChoice {
  if (initializers.has(name)) return name;
  if (Object.hasOwn(ALIASES, name)) return ALIASES[name];
  throw new ConfigError(
    `${field}: unknown initialiser ${JSON.stringify(name)}; expected one of ${initNames.names().join(", ")}`,
    { field },
  );
}

/**
 * Fill a new array of `size` values drawn by `init` for a layer with these fans.
 *
 * @example
 * initialize("heNormal", 6, 3, 2, new Rng(0)); // 6 draws from N(0, 2/3)
 */
export function initialize(
  init: InitChoice,
  size: number,
  fanIn: number,
  fanOut: number,
  rng: Rng,
  dtype: DType = "float32",
): Data {
  const out = allocate(dtype, size);
  initializers.get(resolveInit(init)).create({}, undefined, "init")(out, fanIn, fanOut, rng);
  return out;
}
