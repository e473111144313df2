// docs/javascript.md, a Node HTTP server on the port stableport gives its service.
import { createServer } from 'node:http';
import { portFor } from 'stableport';

const service = process.argv[2] ?? 'api';
const port = portFor(service);
createServer((request, response) => response.end(`${service} on ${port}\n`)).listen(port, '127.0.0.1', () => {
  console.log(`listening on ${port}`);
});
