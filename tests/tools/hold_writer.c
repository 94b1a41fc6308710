/*
 * hold_writer: opens a store's LMDB environment, begins a write transaction (taking the
 * store's single write lock), says so, and waits to be killed, so a test can check that
 * every hook still exits within its deadline while another process holds the lock.
 *
 *   hold_writer HOME     prints "holding <pid>" once the write transaction is open
 */
#include <lmdb.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hold_writer HOME\n");
        return 2;
    }
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&env);
    if (rc) {
        fprintf(stderr, "hold_writer: mdb_env_create: %s\n", mdb_strerror(rc));
        return 1;
    }
    mdb_env_set_maxdbs(env, 16);
    if ((rc = mdb_env_open(env, argv[1], MDB_NOTLS, 0600)) ||
        (rc = mdb_txn_begin(env, NULL, 0, &txn))) {
        fprintf(stderr, "hold_writer: %s: %s\n", argv[1], mdb_strerror(rc));
        mdb_env_close(env);
        return 1;
    }
    printf("holding %ld\n", (long)getpid());
    fflush(stdout);
    for (;;)
        pause();
}
