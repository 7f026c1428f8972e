/**
 * Reads one secret value for `ibkr-exec secrets set`: all of standard input when it is a pipe or a file
 * (one trailing newline removed), or one line typed without echo when it is a terminal. Never argv.
 */
import { CliError } from '../output.js';

/** The value, or a CliError when it is empty. `prompt` goes to stderr, only on a terminal. */
export async function readSecretInput(prompt: string): Promise<string> {
  const value = process.stdin.isTTY ? await readHidden(prompt) : (await readAll()).replace(/\r?\n$/, '');
  if (value === '') throw new CliError('no value on standard input (pipe it in, e.g. `openssl rand -hex 32 | ibkr-exec secrets set NAME`)', 2);
  return value;
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    let value = '';
    const done = (err?: Error) => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.removeListener('data', onData);
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliError('cancelled', 1));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
    stdin.resume();
  });
}
