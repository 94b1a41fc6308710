// Done-when 5 with long-lived writers: the MCP server and 3 tests/tools/writer processes
// (each opens the store once and calls mem0_add 500 times, so each meets the map growth
// of the others as MDB_MAP_RESIZED mid-run) on one store that begins with a 1 MiB map,
// while readers read.  See _concurrency.mjs for the scenario and its assertions.
import { concurrency } from './_concurrency.mjs';

await concurrency({ lanes: 'helper' });
