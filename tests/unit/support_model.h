/*
 * support_model.h: tiny model2vec models written by the tests themselves (no downloads):
 * a tokenizer.json and a model.safetensors in the real formats, a few dozen tokens of
 * TINY_DIM dimensions.  Tokens of one topic (animals, deploying, food) share a direction, so
 * texts about the same topic embed close together.
 */
#ifndef MEM0_TEST_SUPPORT_MODEL_H
#define MEM0_TEST_SUPPORT_MODEL_H

#define TINY_DIM 8

/* WordPiece with BERT normalisation and pre-tokenisation; F16 table when half is 1. */
void tiny_model_write(const char *dir, int half);
/* Unigram (sentencepiece style: Metaspace pre-tokenizer) over its own small vocabulary. */
void tiny_unigram_write(const char *dir);

/* Id of a token of the WordPiece model ("cat", "##s", "[UNK]"), or -1. */
int tiny_token_id(const char *token);
/* Id of a piece of the Unigram model ("\xe2\x96\x81the"), or -1. */
int tiny_piece_id(const char *piece);
/* Row `id` of the embedding table (the same values for both models). */
void tiny_row(int id, float out[TINY_DIM]);

/* Writes n bytes to dir/name; fails the test on error. */
void tiny_write_file(const char *dir, const char *name, const void *data, size_t n);
/* Reads a whole file (malloc'd, *n its size); fails the test on error. */
char *tiny_read_file(const char *path, size_t *n);

#endif
