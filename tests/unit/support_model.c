/* support_model.c: tiny model2vec models for tests (see support_model.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "support_model.h"

static const char *const wp_tokens[] = {
    "[PAD]",
    "[UNK]",
    "[CLS]",
    "[SEP]",
    "[MASK]",
    "the",
    "a",
    "on",
    "is",
    ",",
    ".",
    "!",
    "?",
    "cat",
    "dog",
    "mat",
    "sat",
    "pet",
    "kitten",
    "deploy",
    "release",
    "server",
    "port",
    "make",
    "build",
    "pizza",
    "pasta",
    "cafe",
    "eat",
    "##s",
    "##ing",
    "##ed",
    "un",
    "##able",
    "hello",
    "world",
    "\xe4\xb8\x96",
    "\xe7\x95\x8c",
    "we",
    "to",
};
#define NWP ((int)(sizeof wp_tokens / sizeof *wp_tokens))

#define SP "\xe2\x96\x81" /* ▁ */
static const struct {
    const char *piece;
    double score;
} uni_pieces[] = {
    {"<unk>", 0},     {SP "the", -1}, {SP "cat", -2}, {SP "ca", -3},     {"t", -3.5},
    {"s", -4},        {SP, -5},       {SP "dog", -2}, {SP "deploy", -2}, {"ing", -3},
    {SP "a", -2.5},   {"c", -6},      {"a", -6},      {SP "server", -2}, {"e", -6},
    {SP "pizza", -2}, {SP "eat", -2}, {"d", -6},      {"o", -6},         {"g", -6},
};
#define NUNI ((int)(sizeof uni_pieces / sizeof *uni_pieces))

/* Topic of a WordPiece token: 1 animals, 2 deploying, 3 food, 0 none. */
static int topic_of(int id)
{
    if (id >= 13 && id <= 18) return 1;
    if (id >= 19 && id <= 24) return 2;
    if (id >= 25 && id <= 28) return 3;
    return 0;
}

void tiny_row(int id, float out[TINY_DIM])
{
    int topic = topic_of(id);
    for (int d = 0; d < TINY_DIM; d++) {
        /* multiples of 1/16: exact in float16 too */
        float noise = (float)(((id * 7 + d * 13) % 9) - 4) / 16.0f;
        float base = topic && (d == 2 * topic - 2 || d == 2 * topic - 1) ? 2.0f : 0.0f;
        out[d] = base + noise;
    }
}

int tiny_token_id(const char *token)
{
    for (int i = 0; i < NWP; i++)
        if (strcmp(wp_tokens[i], token) == 0) return i;
    return -1;
}

int tiny_piece_id(const char *piece)
{
    for (int i = 0; i < NUNI; i++)
        if (strcmp(uni_pieces[i].piece, piece) == 0) return i;
    return -1;
}

void tiny_write_file(const char *dir, const char *name, const void *data, size_t n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

char *tiny_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)len + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)len, f), (size_t)len);
    buf[len] = '\0';
    fclose(f);
    *n = (size_t)len;
    return buf;
}

static uint16_t to_half(float f)
{
    /* Exact for the table's values (small multiples of 1/16); no rounding needed. */
    uint32_t b;
    memcpy(&b, &f, sizeof b);
    uint16_t sign = (uint16_t)((b >> 16) & 0x8000);
    int exp = (int)((b >> 23) & 0xff);
    uint32_t man = b & 0x7fffff;
    if (exp == 0) return sign;
    int e = exp - 127 + 15;
    return (uint16_t)(sign | (uint16_t)(e << 10) | (uint16_t)(man >> 13));
}

static void write_safetensors(const char *dir, int rows, int half)
{
    size_t esize = half ? 2 : 4, data = (size_t)rows * TINY_DIM * esize;
    char header[512];
    int hl = snprintf(header, sizeof header,
                      "{\"__metadata__\":{\"format\":\"pt\"},\"embeddings\":{\"dtype\":\"%s\","
                      "\"shape\":[%d,%d],\"data_offsets\":[0,%zu]}}",
                      half ? "F16" : "F32", rows, TINY_DIM, data);
    while (hl % 8)
        header[hl++] = ' ';
    size_t total = 8 + (size_t)hl + data;
    unsigned char *buf = calloc(1, total);
    assert_non_null(buf);
    for (int i = 0; i < 8; i++)
        buf[i] = (unsigned char)((uint64_t)hl >> (8 * i));
    memcpy(buf + 8, header, (size_t)hl);
    unsigned char *p = buf + 8 + hl;
    for (int r = 0; r < rows; r++) {
        float row[TINY_DIM];
        tiny_row(r, row);
        for (int d = 0; d < TINY_DIM; d++) {
            if (half) {
                uint16_t h = to_half(row[d]);
                *p++ = (unsigned char)(h & 0xff);
                *p++ = (unsigned char)(h >> 8);
            } else {
                uint32_t b;
                memcpy(&b, &row[d], sizeof b);
                for (int k = 0; k < 4; k++)
                    *p++ = (unsigned char)(b >> (8 * k));
            }
        }
    }
    tiny_write_file(dir, "model.safetensors", buf, total);
    free(buf);
}

static void write_json(const char *dir, cJSON *j)
{
    char *s = cJSON_PrintUnformatted(j);
    assert_non_null(s);
    tiny_write_file(dir, "tokenizer.json", s, strlen(s));
    free(s);
    cJSON_Delete(j);
}

void tiny_model_write(const char *dir, int half)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "version", "1.0");
    cJSON_AddNullToObject(j, "truncation");
    cJSON *norm = cJSON_AddObjectToObject(j, "normalizer");
    cJSON_AddStringToObject(norm, "type", "BertNormalizer");
    cJSON_AddTrueToObject(norm, "clean_text");
    cJSON_AddTrueToObject(norm, "handle_chinese_chars");
    cJSON_AddNullToObject(norm, "strip_accents");
    cJSON_AddTrueToObject(norm, "lowercase");
    cJSON *pre = cJSON_AddObjectToObject(j, "pre_tokenizer");
    cJSON_AddStringToObject(pre, "type", "BertPreTokenizer");
    cJSON *model = cJSON_AddObjectToObject(j, "model");
    cJSON_AddStringToObject(model, "type", "WordPiece");
    cJSON_AddStringToObject(model, "unk_token", "[UNK]");
    cJSON_AddStringToObject(model, "continuing_subword_prefix", "##");
    cJSON_AddNumberToObject(model, "max_input_chars_per_word", 20);
    cJSON *vocab = cJSON_AddObjectToObject(model, "vocab");
    for (int i = 0; i < NWP; i++)
        cJSON_AddNumberToObject(vocab, wp_tokens[i], i);
    write_json(dir, j);
    write_safetensors(dir, NWP, half);
}

void tiny_unigram_write(const char *dir)
{
    cJSON *j = cJSON_CreateObject();
    cJSON *norm = cJSON_AddObjectToObject(j, "normalizer");
    cJSON_AddStringToObject(norm, "type", "Sequence");
    cJSON *list = cJSON_AddArrayToObject(norm, "normalizers");
    cJSON *nfkc = cJSON_CreateObject();
    cJSON_AddStringToObject(nfkc, "type", "NFKC");
    cJSON_AddItemToArray(list, nfkc);
    cJSON *lower = cJSON_CreateObject();
    cJSON_AddStringToObject(lower, "type", "Lowercase");
    cJSON_AddItemToArray(list, lower);
    cJSON *pre = cJSON_AddObjectToObject(j, "pre_tokenizer");
    cJSON_AddStringToObject(pre, "type", "Metaspace");
    cJSON_AddStringToObject(pre, "replacement", SP);
    cJSON_AddStringToObject(pre, "prepend_scheme", "always");
    cJSON_AddTrueToObject(pre, "split");
    cJSON *model = cJSON_AddObjectToObject(j, "model");
    cJSON_AddStringToObject(model, "type", "Unigram");
    cJSON_AddNumberToObject(model, "unk_id", 0);
    cJSON *vocab = cJSON_AddArrayToObject(model, "vocab");
    for (int i = 0; i < NUNI; i++) {
        cJSON *pair = cJSON_CreateArray();
        cJSON_AddItemToArray(pair, cJSON_CreateString(uni_pieces[i].piece));
        cJSON_AddItemToArray(pair, cJSON_CreateNumber(uni_pieces[i].score));
        cJSON_AddItemToArray(vocab, pair);
    }
    write_json(dir, j);
    write_safetensors(dir, NUNI, 0);
}
