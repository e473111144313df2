// STABLEPORT_PINS (and STABLEPORT_TEST_PORTS, which shares its syntax):
// 'billing=8001,auth@test=8002', read as the Python library's parse_pin_overrides.

import { ConfigError, StableportError, excerpt } from './errors.js';
import { MAX_PORT, MIN_PORT, pinTable } from './ports.js';
import { pythonStrip } from './text.js';

export const PINS_VARIABLE = 'STABLEPORT_PINS';

export function parsePinOverrides(value, variable = PINS_VARIABLE) {
  const entries = value.split(',').map((entry) => {
    const label = `${variable} entry ${excerpt(pythonStrip(entry))}`;
    const equals = entry.indexOf('=');
    const key = pythonStrip(equals < 0 ? entry : entry.slice(0, equals));
    const port = equals < 0 ? '' : pythonStrip(entry.slice(equals + 1));
    if (equals < 0 || !key || !/^[0-9]+$/.test(port)) {
      throw new ConfigError(`${label} is not 'service=port' or 'service@env=port'; separate entries with commas`);
    }
    if (port.replace(/^0+/, '').length > String(MAX_PORT).length) {
      throw new ConfigError(`${label} is outside the valid ports ${MIN_PORT}-${MAX_PORT}`);
    }
    return [key, Number(port), label];
  });
  try {
    return pinTable(entries);
  } catch (error) {
    if (error instanceof StableportError) throw new ConfigError(error.message, { cause: error });
    throw error;
  }
}
