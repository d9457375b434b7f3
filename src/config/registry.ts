/**
 * One registry type for every named, configurable kind: layers, activations, initialisers, losses,
 * optimisers, schedules, health detectors, regulators and continual strategies. A kind is one object —
 * its name, a sentence of documentation, its option schema and its factory — and a registry is the table
 * of them that validates run configs, prints `--help` and fills the docs. Built-in kinds are passed to the
 * registry when it is made (no registration by import side effect); a user's own kind is added with
 * `register` and is then named in a run config exactly like a built-in one.
 *
 * @example
 * const shapes = new Registry<string>("shape", "shape", [
 *   defineKind({ name: "box", doc: "A box.", options: { side: { kind: "number", min: 0 } }, create: (o) => `box ${o.side}` }),
 * ]);
 * shapes.build({ type: "box", side: 2 }, undefined); // "box 2"
 */
import { ConfigError } from "../tensor/errors.js";
import {
  describeOptions,
  describeValue,
  expectObject,
  type OptionSchema,
  type ParsedOptions,
  parseOptions,
} from "./options.js";

/** A named kind: its option schema and how to make one from checked options (and a context, e.g. an Rng). */
export interface Kind<T, C = void> {
  readonly name: string;
  /** One sentence: what it is and, where it implements a paper, the paper. */
  readonly doc: string;
  readonly options: OptionSchema;
  /** `field` names the options in messages of rules that tie two options together. */
  create(options: Readonly<Record<string, unknown>>, context: C, field: string): T;
}

/** A kind whose factory sees its options typed from its schema. */
export function defineKind<S extends OptionSchema, T, C = void>(kind: {
  readonly name: string;
  readonly doc: string;
  readonly options: S;
  create(options: ParsedOptions<S>, context: C, field: string): T;
}): Kind<T, C> {
  return kind as unknown as Kind<T, C>;
}

/** A validated choice: a registered kind's name and its options with the defaults filled in. */
export interface Choice {
  readonly type: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/**
 * The built-in kinds of a table keyed by name (`satisfies Record<BuiltinName, Kind<…>>`, so a name
 * without an entry fails to compile), checking that each key is its kind's name.
 *
 * @example
 * new Registry("shape", "shape", builtinKinds({ box })); // box.name must be "box"
 */
export function builtinKinds<T, C>(table: Readonly<Record<string, Kind<T, C>>>): Kind<T, C>[] {
  return Object.entries(table).map(([key, kind]) => {
    if (kind.name !== key) throw new Error(`built-in kind "${kind.name}" is filed under "${key}"`);
    return kind;
  });
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/**
 * A table of named kinds (layers, losses, optimisers, detectors, …): each kind carries its option schema
 * and its factory, and the same table checks run configs, prints `--help` and is what a user extends.
 *
 * @example
 * const shapes = new Registry<number>("shape", "shape");
 * shapes.register(defineKind({ name: "box", doc: "A box.", options: { side: { kind: "number", min: 0 } }, create: (o) => o.side ** 3 }));
 * shapes.build({ type: "box", side: 2 }); // 8
 */
export class Registry<T, C = void> {
  readonly #kinds = new Map<string, Kind<T, C>>();

  /**
   * @param what  the kind in words, for messages ("optimizer", "health detector")
   * @param field the run-config field it is chosen in, for messages ("optimizer", "health.detectors")
   */
  constructor(
    readonly what: string,
    readonly field: string,
    builtins: readonly Kind<T, C>[] = [],
  ) {
    for (const k of builtins) this.register(k);
  }

  /** Add a kind. A name already taken is an error unless `replace` is set (to override a built-in). */
  register(kind: Kind<T, C>, opts: { replace?: boolean } = {}): this {
    if (typeof kind?.name !== "string" || !NAME.test(kind.name))
      throw new ConfigError(
        `${this.what}: a kind's name must start with a letter and hold only letters, digits, _ and -; got ${describeValue(kind?.name)}`,
      );
    if (typeof kind.create !== "function")
      throw new ConfigError(`${this.what} "${kind.name}": create must be a function`);
    if (this.#kinds.has(kind.name) && !opts.replace)
      throw new ConfigError(
        `${this.what} "${kind.name}" is already registered; pass { replace: true } to override it`,
      );
    this.#kinds.set(kind.name, kind);
    return this;
  }

  /** Remove a kind (a test's own kind, after the test). */
  unregister(name: string): boolean {
    return this.#kinds.delete(name);
  }

  has(name: string): boolean {
    return this.#kinds.has(name);
  }

  names(): string[] {
    return [...this.#kinds.keys()];
  }

  kinds(): Kind<T, C>[] {
    return [...this.#kinds.values()];
  }

  /** The kind called `name`; an unknown name is a ConfigError at `field` listing the known ones. */
  get(name: unknown, field = `${this.field}.type`): Kind<T, C> {
    const kind = typeof name === "string" ? this.#kinds.get(name) : undefined;
    if (!kind)
      throw new ConfigError(
        `${field}: unknown ${this.what} ${describeValue(name)}; expected one of ${this.names().join(", ")}`,
        { field },
      );
    return kind;
  }

  /**
   * Check `{"type": name, ...options}` (or a bare name, when the kind needs no required option) and
   * return the choice with defaults filled in. `extra` names keys another part handles, passed through.
   */
  parse(raw: unknown, field = this.field, extra: readonly string[] = []): Choice {
    if (typeof raw === "string") {
      const kind = this.get(raw, field);
      return { type: kind.name, options: parseOptions({}, kind.options, field) };
    }
    const obj = expectObject(raw, field);
    if (obj.type === undefined)
      throw new ConfigError(`${field}.type: required; expected one of ${this.names().join(", ")}`, {
        field: `${field}.type`,
      });
    const kind = this.get(obj.type, `${field}.type`);
    return { type: kind.name, options: parseOptions(obj, kind.options, field, ["type", ...extra]) };
  }

  /** Make the kind a validated choice names. */
  create(choice: Choice, context: C, field = this.field): T {
    return this.get(choice.type, `${field}.type`).create(choice.options, context, field);
  }

  /** Validate a raw config (`parse`) and make the kind it names. */
  build(raw: unknown, context: C, field = this.field): T {
    return this.create(this.parse(raw, field), context, field);
  }

  /** Every kind with its options, as text for `--help` and the docs. */
  describe(): string {
    return this.kinds()
      .map((k) => {
        const rows = describeOptions(k.options).map(
          (o) =>
            `    ${o.key.padEnd(16)} ${o.takes}${/^(required|optional)$/.test(o.default) ? `, ${o.default}` : `, default ${o.default}`}${o.doc ? ` — ${o.doc}` : ""}`,
        );
        return [`  ${k.name} — ${k.doc}`, ...rows].join("\n");
      })
      .join("\n");
  }
}
