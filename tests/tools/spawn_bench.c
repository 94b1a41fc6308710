/*
 * spawn_bench: wall time of short-lived processes from spawn to exit, the way Claude Code
 * pays for a hook (scripts/bench-hooks.sh).
 *
 *   spawn_bench [--runs N] [--warmup N] SPECFILE
 *
 * SPECFILE has one command a line: LABEL TAB STDIN-FILE TAB ARGV0 [TAB ARG]...  In each
 * round every command runs once, in file order (interleaved, so that a noisy moment
 * costs all of them alike), with the stdin file's content on its stdin (a pipe, filled
 * before the clock starts; "@RUN@" in it becomes the run number, so that per-session
 * state starts fresh each run) and stdout/stderr to /dev/null.  The time is taken from
 * just before posix_spawn to the return of waitpid.  Prints one line per command:
 *   LABEL TAB p50_ms TAB p95_ms TAB mean_ms TAB runs TAB failures
 * (a failure is an exit status other than 0).  Warm-up rounds are not counted.
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CMDS 32
#define MAX_ARGS 32
#define MAX_INPUT (1 << 20)

typedef struct cmd {
    char *label;
    char *input; /* stdin content, with @RUN@ */
    size_t input_len;
    char *argv[MAX_ARGS + 1];
    double *ms;
    int failures;
} cmd;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = malloc(MAX_INPUT + 1);
    size_t n = buf ? fread(buf, 1, MAX_INPUT, f) : 0;
    fclose(f);
    if (!buf) return NULL;
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The stdin of one run: input with every "@RUN@" replaced by run, in a pipe (or a
 * temporary file when it does not fit in the pipe buffer).  Returns the read end. */
static int make_stdin(const cmd *c, int run)
{
    char num[32];
    int nl = snprintf(num, sizeof num, "%d", run);
    char *out = malloc(c->input_len * 2 + 64);
    if (!out) return -1;
    size_t o = 0;
    for (size_t i = 0; i < c->input_len;) {
        if (i + 5 <= c->input_len && memcmp(c->input + i, "@RUN@", 5) == 0) {
            memcpy(out + o, num, (size_t)nl);
            o += (size_t)nl;
            i += 5;
        } else {
            out[o++] = c->input[i++];
        }
    }
    int fd = -1;
    int p[2];
    if (o < 60000 && pipe(p) == 0) {
        if (write(p[1], out, o) == (ssize_t)o)
            fd = p[0];
        else
            close(p[0]);
        close(p[1]);
    } else {
        char tmpl[] = "/tmp/spawn_bench.XXXXXX";
        fd = mkstemp(tmpl);
        if (fd >= 0) {
            unlink(tmpl);
            if (write(fd, out, o) != (ssize_t)o || lseek(fd, 0, SEEK_SET) != 0) {
                close(fd);
                fd = -1;
            }
        }
    }
    free(out);
    return fd;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double run_once(cmd *c, int run, int devnull)
{
    int in = make_stdin(c, run);
    if (in < 0) return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in, 0);
    posix_spawn_file_actions_adddup2(&fa, devnull, 1);
    posix_spawn_file_actions_adddup2(&fa, devnull, 2);
    pid_t pid;
    int status = 0;
    double t0 = now_ms();
    int rc = posix_spawnp(&pid, c->argv[0], &fa, NULL, c->argv, environ);
    if (rc == 0) waitpid(pid, &status, 0);
    double t1 = now_ms();
    posix_spawn_file_actions_destroy(&fa);
    close(in);
    if (rc != 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) c->failures++;
    return t1 - t0;
}

int main(int argc, char **argv)
{
    int runs = 200, warmup = 20;
    const char *spec = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            warmup = atoi(argv[++i]);
        else
            spec = argv[i];
    }
    if (!spec || runs < 1 || warmup < 0) {
        fprintf(stderr, "usage: spawn_bench [--runs N] [--warmup N] SPECFILE\n");
        return 2;
    }
    FILE *f = fopen(spec, "r");
    if (!f) {
        perror(spec);
        return 2;
    }
    cmd cmds[MAX_CMDS];
    int n = 0;
    char line[8192];
    while (n < MAX_CMDS && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || line[0] == '#') continue;
        cmd *c = &cmds[n];
        memset(c, 0, sizeof *c);
        /* strsep keeps empty fields: `node -e ''` has an empty argument. */
        char *rest = line;
        char *label = strsep(&rest, "\t");
        char *input = strsep(&rest, "\t");
        if (!label || !*label || !input || !rest) continue;
        c->label = strdup(label);
        c->input = slurp(input, &c->input_len);
        if (!c->input) {
            fprintf(stderr, "spawn_bench: cannot read %s\n", input);
            return 2;
        }
        int a = 0;
        while (a < MAX_ARGS && rest)
            c->argv[a++] = strdup(strsep(&rest, "\t"));
        if (!c->argv[0][0]) continue;
        c->ms = calloc((size_t)runs, sizeof(double));
        n++;
    }
    fclose(f);
    int devnull = open("/dev/null", O_WRONLY);
    for (int r = 0; r < warmup + runs; r++) {
        for (int i = 0; i < n; i++) {
            int failures = cmds[i].failures;
            double ms = run_once(&cmds[i], r, devnull);
            if (r < warmup)
                cmds[i].failures = failures;
            else
                cmds[i].ms[r - warmup] = ms;
        }
    }
    for (int i = 0; i < n; i++) {
        cmd *c = &cmds[i];
        double sum = 0;
        for (int r = 0; r < runs; r++)
            sum += c->ms[r];
        qsort(c->ms, (size_t)runs, sizeof(double), cmp_double);
        int i95 = (int)((double)runs * 0.95 + 0.5) - 1;
        if (i95 < 0) i95 = 0;
        printf("%s\t%.2f\t%.2f\t%.2f\t%d\t%d\n", c->label, c->ms[(runs - 1) / 2], c->ms[i95],
               sum / runs, runs, c->failures);
        free(c->label);
        free(c->input);
        free(c->ms);
        for (int a = 0; c->argv[a]; a++)
            free(c->argv[a]);
    }
    close(devnull);
    return 0;
}
