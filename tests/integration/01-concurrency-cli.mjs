// Done-when 5 with CLI writers: the MCP server and 3 lanes of `mem0-mcp add --no-infer`
// processes add 500 memories each to one store that begins with a 1 MiB map, while
// readers read.  See _concurrency.mjs for the scenario and its assertions.
import { concurrency } from './_concurrency.mjs';

await concurrency({ lanes: 'cli' });
