/*
 * echo_line: the empty-process floor of the latency benchmark.  For every line read on
 * stdin it writes one fixed JSON-RPC response line on stdout and flushes, so a round trip
 * against it costs the pipes, the scheduler and the client's own parsing, and nothing else.
 * Exits 0 at EOF.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    static const char reply[] = "{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}\n";
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, stdin) > 0) {
        if (fputs(reply, stdout) == EOF || fflush(stdout) == EOF) break;
    }
    free(line);
    return 0;
}
