/*
 * hold_reader: opens a store's LMDB environment, begins a read transaction, says so, and
 * waits to be killed, so a test can leave a stale reader slot behind (kill -9) and check
 * that the next process to open the store clears it (mdb_reader_check).
 *
 *   hold_reader HOME     prints "holding <pid>" once the transaction is open
 */
#include <lmdb.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: hold_reader HOME\n");
        return 2;
    }
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    int rc = mdb_env_create(&env);
    if (rc) {
        fprintf(stderr, "hold_reader: mdb_env_create: %s\n", mdb_strerror(rc));
        return 1;
    }
    mdb_env_set_maxdbs(env, 16);
    /* MDB_NOTLS as the store uses it: the slot belongs to the transaction, not the thread. */
    if ((rc = mdb_env_open(env, argv[1], MDB_RDONLY | MDB_NOTLS, 0600)) ||
        (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn))) {
        fprintf(stderr, "hold_reader: %s: %s\n", argv[1], mdb_strerror(rc));
        mdb_env_close(env);
        return 1;
    }
    printf("holding %ld\n", (long)getpid());
    fflush(stdout);
    for (;;)
        pause();
}
