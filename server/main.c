/*
 * main.c: entry point of mem0-mcp.
 *
 * With no argument, or `serve`, it is the stdio MCP server Claude Code starts; with any
 * other first argument it is the human command line (`mem0-mcp search ...`).
 */
#include <string.h>

#include "cli.h"
#include "mcp.h"

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "serve") == 0) return mcp_serve();
    return cli_main(argc, argv);
}
