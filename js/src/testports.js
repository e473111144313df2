// The test's ports, for code under test (docs/pytest.md): while a pytest
// session's stableport fixture runs, a process it starts inherits
// STABLEPORT_TEST_PORTS ('billing=23717,cache=21234'), and a lookup that names
// no environment answers from it, as the Python library's _testports.test_port.

import { ConfigError } from './errors.js';
import { normalizeName } from './names.js';
import { PINS_VARIABLE, parsePinOverrides } from './overrides.js';

export const TEST_PORTS_VARIABLE = 'STABLEPORT_TEST_PORTS';

let parsed = null; // [the value last parsed, its ports]

/** The test's port for name (an environment-free lookup), or null outside a test's reach. */
export function testPort(name, variables = process.env) {
  const value = variables[TEST_PORTS_VARIABLE];
  if (!value) return null;
  if (parsed === null || parsed[0] !== value) {
    let pins;
    try {
      pins = parsePinOverrides(value);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(error.message.replaceAll(PINS_VARIABLE, TEST_PORTS_VARIABLE));
      throw error;
    }
    parsed = [value, new Map([...pins.values()].map(({ service, port }) => [service, port]))];
  }
  return parsed[1].get(normalizeName(name)) ?? null;
}
