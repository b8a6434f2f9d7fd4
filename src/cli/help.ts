/**
 * The help texts of `ctxc`: one overview and one page per command (`ctxc help build`, `ctxc build --help`).
 * The accepted values and ranges printed here come from the same constants the parser checks against.
 */
import { LIMITS, FORMATS } from "./limits.js";
import { DEFAULTS } from "../index.js";
import { RUN_KINDS, TOKENIZERS } from "../options.js";

const EXIT_CODES = `Exit codes:
  0  done
  1  the build failed: transcript missing, unreadable, not a regular file, not a transcript
     (no session header and no entries), changed while it was read, a worker failed,
     the --cache DIR refused with --cache-required; with --session: no such session
     [SESSION_NOT_FOUND], not an OpenClaw agent database [STORE_TABLE_MISSING], a newer
     store schema [STORE_SCHEMA_TOO_NEW], a Node without node:sqlite [SQLITE_UNAVAILABLE]
  2  bad usage: unknown command or option, a bad option value, binary output to a terminal
  3  the output could not be written (--out in a missing directory, a directory, a symlink,
     another user's file, no permission)
  4  not part of this installation (ctxc bench outside a source checkout)
Errors are one line on stderr: "ctxc: <what went wrong> [CODE]".`;

export const OVERVIEW = `Usage: ctxc <command> [options]

Compiles pi/OpenClaw session transcripts (JSONL) into the context a model sees, in worker threads.

Commands:
  build FILE [options]   compile FILE and a workspace's bootstrap files into one context
                         (FILE: a JSONL transcript, or openclaw-agent.sqlite with --session)
  bench [--full]         run the benchmark suite (from a source checkout of ctxc)
  help [COMMAND]         show this overview, or the options of COMMAND

Options:
  -h, --help             show help (after a command: that command's help)
  -v, --version          print the version

${EXIT_CODES}

Run 'ctxc help build' for the build options.`;

const BUILD = `Usage: ctxc build FILE [options]
       ctxc build PATH/openclaw-agent.sqlite --session SESSION [options]

Compiles the session transcript FILE (pi/OpenClaw JSONL) and a workspace's bootstrap files into one context.
OpenClaw 2026.8+ keeps transcripts in SQLite (agents/<id>/agent/openclaw-agent.sqlite): give that
database and --session; it is only read (never written, also while the gateway runs).

Options:
  --session SESSION     with an OpenClaw agent database as FILE: the session id or key
                        (e.g. agent:main:main) to compile; needs Node >= 22.13 (node:sqlite)
  --workspace DIR       workspace with AGENTS.md, SOUL.md, … for the system prompt; default: none
  --budget N|none       token budget for system prompt + messages, ${LIMITS.budget.min}–${LIMITS.budget.max};
                        default: none (nothing dropped)
  --tokenizer NAME      ${TOKENIZERS.join(" | ")} (default: ${DEFAULTS.tokenizer}; estimate = OpenClaw's chars/4)
  --run-kind KIND       ${RUN_KINDS.join(" | ")} (which bootstrap files; default: ${RUN_KINDS[0]})
  --format FORMAT       ${FORMATS.join(" | ")} (default: ${FORMATS[0]}; buffer = the binary context buffer)
  --out FILE            write the output to FILE instead of stdout (a new FILE is created 0600; a
                        symlink or another user's file is refused; SECURITY.md)
  --cache DIR           keep a persistent session index in DIR: later runs parse only appended bytes;
                        DIR must be private to you (created 0700), else it is not used and reported
  --cache-required      fail (exit 1, CACHE_DIR_REFUSED) when the --cache DIR is refused
  --threads N           worker threads, ${LIMITS.threads.min}–${LIMITS.threads.max}; default: 1
  --allow-empty         build a file with no session header and no entries (an empty context, exit 0)
                        instead of failing with NOT_A_TRANSCRIPT
  -f, --force           write --format buffer to a terminal anyway
  -q, --quiet           nothing on stderr but errors (no progress bar, no notes)
  -h, --help            show this help

Output:
  json    {systemPrompt, messages, thinkingLevel, model, tokens, dropped, diagnostics, meta}; meta.build says
          whether the build was cold, warm or rebuilt (and why), bytes parsed, tokens counted
  text    a summary: transcript, model, tokens, build, bootstrap files, diagnostics, one line per message
  buffer  the binary context buffer (docs/buffer-format.md; decodeContext() reads it)
Damaged lines do not fail a build: they are skipped and listed as diagnostics (with --out or a
non-text format, stderr also gets a one-line note unless --quiet).

${EXIT_CODES}`;

const BENCH = `Usage: ctxc bench [--full]

Runs the benchmark suite (quick by default; --full takes minutes) and regenerates bench/RESULTS.md.
It compares ctxc with pi's own loader and needs ctxc's development dependencies, so it runs from a
source checkout (npm ci && npm run build); an installed package exits 4 [BENCH_UNAVAILABLE].

Options:
  --full       the full suite
  -h, --help   show this help`;

const HELP = `Usage: ctxc help [COMMAND]

Shows the overview, or the options of COMMAND (build, bench).`;

/** The help page of each command ("" is the overview). */
export const HELP_PAGES: Readonly<Record<string, string>> = { "": OVERVIEW, build: BUILD, bench: BENCH, help: HELP };
