/**
 * The logger shape the IB adapter writes to: a subset of pino's (`logger.warn({ code }, 'text')`), so the
 * daemon passes its pino instance and tests pass nothing (silent) or a collecting stub.
 */
export interface IbLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Discards everything. */
export const silentLogger: IbLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
