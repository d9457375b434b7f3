/**
 * `homeostat COMMAND ...`: find the command's handler (commands.ts), run it, and turn what it throws
 * into a message and an exit code (2 for bad usage or input, 1 for a bug).
 */
import { HomeostatError } from "../tensor/errors.js";
import { UsageError } from "./args.js";
import { HANDLERS, say } from "./commands.js";
import { commandHelp, isCommand, USAGE, wantsHelp } from "./help.js";

export { CNN_DEMO_CONFIG, MNIST_DEMO_CONFIG, withDemoEpochs } from "./commands.js";

/**
 * Run the command line `argv` (without node and the script) and return the exit code.
 *
 * @example
 * process.exitCode = await main(["train", "--config", "run.json", "--json"]);
 */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (isCommand(command) && wantsHelp(rest)) return say(commandHelp(command));
    if (command === undefined) {
      process.stdout.write(`${USAGE}\n`);
      return 2;
    }
    if (!Object.hasOwn(HANDLERS, command)) throw new UsageError(`unknown command "${command}"`);
    return await HANDLERS[command](rest);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(
        `homeostat: ${e.message}\nRun "homeostat ${isCommand(command) ? `${command} ` : ""}--help" for usage.\n`,
      );
      return 2;
    }
    if (e instanceof HomeostatError) {
      process.stderr.write(`homeostat: ${e.message}\n`);
      return 2;
    }
    process.stderr.write(
      `homeostat: internal error (this is a bug in Homeostat; please report it):\n${(e as Error).stack ?? String(e)}\n`,
    );
    return 1;
  }
}
