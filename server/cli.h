/*
 * cli.h: the human command line of mem0-mcp (`mem0-mcp add|search|list|...`).
 *
 * main() hands over argc/argv unchanged when argv[1] is a subcommand (anything but
 * "serve"), so argv[1] is the subcommand name.  Returns the process exit code.
 */
#ifndef MEM0_CLI_H
#define MEM0_CLI_H

int cli_main(int argc, char **argv);

#endif
