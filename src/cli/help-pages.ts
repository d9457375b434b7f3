/**
 * The text of `homeostat <command> --help`, one page per command; help.ts lays them out. docs/cli.md is
 * the long form of the same pages. Each page lists every flag its command's parser accepts (checked by
 * test/cli-help.test.ts), so a flag added in commands.ts without a line here fails that test.
 */
import type { HelpPage } from "./help-common.js";
import { exportPage, evalPage, importPage, predictPage } from "./help-model.js";
import { livePage, replayPage } from "./help-live.js";
import { benchPage, reportPage } from "./help-tools.js";
import { continualPage, demoPage, trainPage } from "./help-training.js";

export type { CommonFlag, FlagDoc, HelpPage } from "./help-common.js";

/** Every command's page, in the order the overview lists the commands. */
export const PAGES = {
  demo: demoPage,
  train: trainPage,
  eval: evalPage,
  predict: predictPage,
  continual: continualPage,
  live: livePage,
  replay: replayPage,
  report: reportPage,
  export: exportPage,
  import: importPage,
  bench: benchPage,
} satisfies Record<string, HelpPage>;
