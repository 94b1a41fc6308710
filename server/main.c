/*
 * main.c: entry point of mem0-mcp.
 *
 * With no argument, or `serve`, it is the stdio MCP server Claude Code starts; with any
 * other first argument it is the human command line (`mem0-mcp search ...`).
 */
#include <string.h>

#include "cli.h"
#include "embed_impl.h"
#include "mcp.h"

/* Links the remote embedder into this program: embed.c refers to it only weakly, so the
 * hooks, which never reach the network, do not load libcurl. */
static int (*const link_remote_embedder)(embedder *, mem0_err *) __attribute__((used)) =
    embed_remote_open;

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "serve") == 0) return mcp_serve();
    return cli_main(argc, argv);
}
