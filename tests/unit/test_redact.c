/* test_redact.c: private spans and secret placeholders (core/redact.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "redact.h"
#include "util.h"

/* Redacts in (secrets on) and compares with want; also checks the secret count. */
static void expect(const char *in, const char *want, int secrets)
{
    redact_stats st;
    char *out = redact_text(in, 1, &st);
    assert_non_null(out);
    if (strcmp(out, want) != 0)
        fail_msg("redact(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, out, want);
    assert_int_equal(st.secrets, secrets);
    /* Cleaning is idempotent: a placeholder is never redacted again. */
    char *again = redact_text(out, 1, &st);
    assert_string_equal(again, out);
    assert_int_equal(st.secrets, 0);
    free(again);
    free(out);
}

static void unchanged(const char *in)
{
    expect(in, in, 0);
}

/* ---- Token formats ------------------------------------------------------------------- */

static void test_aws(void **state)
{
    (void)state;
    expect("key AKIAIOSFODNN7EXAMPLE here", "key [REDACTED:aws_access_key] here", 1);
    expect("ASIAY34FZKBOKMUTVV7A", "[REDACTED:aws_access_key]", 1);
    expect("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
           "aws_secret_access_key = [REDACTED:aws_secret_key]", 1);
    expect("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
           "AWS_SECRET_ACCESS_KEY=[REDACTED:aws_secret_key]\n", 1);
    /* Too short, too long, or lowercase: not a key id. */
    unchanged("AKIAIOSFODNN7EXAMPL");
    unchanged("AKIAIOSFODNN7EXAMPLEX");
    unchanged("akiaiosfodnn7example");
}

static void test_github(void **state)
{
    (void)state;
    expect("token ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 ok", "token [REDACTED:github_token] ok",
           1);
    expect("gho_16C7e42F292c6912E7710c838347Ae178B4a", "[REDACTED:github_token]", 1);
    expect("ghs_16C7e42F292c6912E7710c838347Ae178B4a,x", "[REDACTED:github_token],x", 1);
    expect("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW",
           "[REDACTED:github_token]", 1);
    unchanged("ghp_short");
    unchanged("see the ghp_ prefix");
}

static void test_sk_keys(void **state)
{
    (void)state;
    expect("OPENAI sk-abcdEFGH1234ijklMNOP5678qrst", "OPENAI [REDACTED:api_key]", 1);
    expect("sk-proj-Ab12Cd34Ef56Gh78Ij90Kl12Mn34", "[REDACTED:api_key]", 1);
    expect("use sk-ant-api03-Zx9yW8vU7tS6rQ5pO4nM3lK2jI1hG0fE-AbCdEf_gh now",
           "use [REDACTED:api_key] now", 1);
    expect("key m0-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f set", "key [REDACTED:mem0_api_key] set",
           1);
    expect("MEM0_API_KEY=m0-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f",
           "MEM0_API_KEY=[REDACTED:mem0_api_key]", 1);
    unchanged("sk-short123");
    unchanged("sk-learn-is-a-library-for-machine-learning");
}

static void test_slack_google_stripe(void **state)
{
    (void)state;
    expect("xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "[REDACTED:slack_token]", 1);
    expect("xoxp-1234-5678-abcdef", "[REDACTED:slack_token]", 1);
    unchanged("xoxo hugs");
    const char *g = "AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI";
    assert_int_equal(strlen(g), 39);
    expect("maps key AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI.",
           "maps key [REDACTED:google_api_key].", 1);
    unchanged("AIzaShort");
    expect("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "[REDACTED:stripe_key]", 1);
    expect("rk_live_51H8abcdEFGHijklMNOP", "[REDACTED:stripe_key]", 1);
    expect("pk_live_51H8abcdEFGHijklMNOP", "[REDACTED:stripe_key]", 1);
}

static void test_jwt(void **state)
{
    (void)state;
    expect("cookie eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
           "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U; path=/",
           "cookie [REDACTED:jwt]; path=/", 1);
    unchanged("eyJhbGciOiJIUzI1NiJ9 alone");
    unchanged("eyJ.eyJ.x");
}

static void test_private_key_block(void **state)
{
    (void)state;
    expect("key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA1234\nabcd+/==\n"
           "-----END RSA PRIVATE KEY-----\nthanks",
           "key:\n[REDACTED:private_key]\nthanks", 1);
    expect("-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n"
           "-----END OPENSSH PRIVATE KEY-----",
           "[REDACTED:private_key]", 1);
    /* Escaped newlines, as in JSON text inside a string. */
    expect("\"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBg\\n-----END PRIVATE KEY-----\\n\"",
           "\"[REDACTED:private_key]\\n\"", 1);
    /* No END line: the base64 lines still go, the prose after them stays. */
    expect("-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\nAoGCCqGSM49\nthat was my key",
           "[REDACTED:private_key]\nthat was my key", 1);
    /* Certificates and public keys are not secrets. */
    unchanged("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
    unchanged("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----");
}

static void test_bearer(void **state)
{
    (void)state;
    expect("Authorization: Bearer abc123", "Authorization: Bearer [REDACTED:bearer_token]", 1);
    expect("curl -H \"Authorization: Bearer tok.en-1\" https://x",
           "curl -H \"Authorization: Bearer [REDACTED:bearer_token]\" https://x", 1);
    expect("{\"Authorization\": \"Token m0abc\"}",
           "{\"Authorization\": \"Token [REDACTED:bearer_token]\"}", 1);
    expect("authorization: basic dXNlcjpwYXNz", "authorization: basic [REDACTED:basic_auth]", 1);
    expect("sent Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0 upstream",
           "sent Bearer [REDACTED:bearer_token] upstream", 1);
    unchanged("Bearer tokens are short-lived");
    unchanged("the bearer of bad news");
    unchanged("Authorization: Bearer ${TOKEN}");
}

/* ---- Assignments ---------------------------------------------------------------------- */

static void test_assignments(void **state)
{
    (void)state;
    expect("password=hunter2", "password=[REDACTED:password]", 1);
    expect("login with password: hunter2", "login with password: [REDACTED:password]", 1);
    expect("{\"password\": \"hunter2\", \"user\": \"bob\"}",
           "{\"password\": \"[REDACTED:password]\", \"user\": \"bob\"}", 1);
    expect("{'db_passwd': 'p@ss word'}", "{'db_passwd': '[REDACTED:password]'}", 1);
    expect("export DB_PASSWORD=s3cr3t && run", "export DB_PASSWORD=[REDACTED:password] && run", 1);
    expect("mysql --password s3cr3t -u root", "mysql --password [REDACTED:password] -u root", 1);
    expect("mysql --password=s3cr3t -u root", "mysql --password=[REDACTED:password] -u root", 1);
    expect("client_secret: abcdef123456", "client_secret: [REDACTED:client_secret]", 1);
    expect("API_KEY=\"abc 123\"", "API_KEY=\"[REDACTED:api_key]\"", 1);
    expect("x-api-key: 1234abcd", "x-api-key: [REDACTED:api_key]", 1);
    expect("apiKey = 'zzz999'", "apiKey = '[REDACTED:api_key]'", 1);
    expect("accessToken=Abc.Def9", "accessToken=[REDACTED:token]", 1);
    expect("SECRET_KEY = \"django-insecure-42\"", "SECRET_KEY = \"[REDACTED:secret]\"", 1);
    expect("private_key => \"xyz\"", "private_key => \"[REDACTED:private_key]\"", 1);
    expect("https://api.example.com/v1?token=abc123&page=2",
           "https://api.example.com/v1?token=[REDACTED:token]&page=2", 1);
    /* Escaped JSON inside text. */
    expect("{\\\"password\\\":\\\"hunter2\\\"}", "{\\\"password\\\":\\\"[REDACTED:password]\\\"}",
           1);
    /* A known token as the value keeps its own kind. */
    expect("GITHUB_TOKEN=ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
           "GITHUB_TOKEN=[REDACTED:github_token]", 1);
    /* Credentials in a URL. */
    expect("DATABASE_URL=postgres://admin:s3cr3t@db:5432/app",
           "DATABASE_URL=postgres://admin:[REDACTED:password]@db:5432/app", 1);
    expect("two: password=a1 token=b2bbbbbb",
           "two: password=[REDACTED:password] "
           "token=[REDACTED:token]",
           2);
}

static void test_prose_untouched(void **state)
{
    (void)state;
    unchanged("the password field is required");
    unchanged("Use a tokenizer before indexing; tokens are cheap.");
    unchanged("grandma's secret sauce is garlic");
    unchanged("max_tokens=1024 and token_count: 5");
    unchanged("password_min_length=12, secret_name: db-creds");
    unchanged("PWD=/home/user/project");
    unchanged("The secret: keep it simple");
    unchanged("password: ${DB_PASSWORD}");
    unchanged("password=$DB_PASSWORD");
    unchanged("\"password\": null");
    unchanged("password: ********");
    unchanged("token:\n  - a");
    unchanged("Visit https://github.com/mem0ai/mem0 for details.");
    unchanged("std::string token::value");
    unchanged("Ask for an API key at signup. Keys rotate monthly.");
    /* Code: calls, lookups, attributes and type annotations are not secrets. */
    unchanged("password = getpass.getpass()");
    unchanged("token = os.environ[\"GITHUB_TOKEN\"]");
    unchanged("api_key = config.api_key");
    unchanged("interface User { password: string; apiKey?: string }");
    unchanged("def login(password: str, token: Optional[str] = None):");
}

static void test_redact_off(void **state)
{
    (void)state;
    redact_stats st;
    char *out = redact_text("password=hunter2 <private>x</private> AKIAIOSFODNN7EXAMPLE", 0, &st);
    assert_string_equal(out, "password=hunter2 AKIAIOSFODNN7EXAMPLE");
    assert_int_equal(st.secrets, 0);
    assert_int_equal(st.private_spans, 1);
    free(out);
}

/* ---- Private spans --------------------------------------------------------------------- */

static void expect_private(const char *in, const char *want, int spans)
{
    redact_stats st;
    char *out = redact_text(in, 1, &st);
    assert_non_null(out);
    if (strcmp(out, want) != 0)
        fail_msg("redact(\"%s\")\n  got  \"%s\"\n  want \"%s\"", in, out, want);
    assert_int_equal(st.private_spans, spans);
    free(out);
}

static void test_private_spans(void **state)
{
    (void)state;
    expect_private("a <private>secret</private> b", "a b", 1);
    expect_private("a <PRIVATE>x</Private> b <private >y</private > c", "a b c", 2);
    expect_private("start<private>x</private>end", "startend", 1);
    expect_private("a <private>x <private>y</private> still hidden</private> b", "a b", 1);
    expect_private("keep <private>rest of it is hidden </private", "keep", 1);
    expect_private("keep <private>unclosed <private>nested</private> tail", "keep", 1);
    expect_private("a </private> b", "a b", 0);
    expect_private("<private>x</private> lead", "lead", 1);
    expect_private("trail <private>x</private>", "trail", 1);
    expect_private("line1\n<private>x</private>\nline2", "line1\nline2", 1);
    expect_private("line1 <private>x</private>\nline2", "line1\nline2", 1);
    expect_private("<private>only</private>", "", 1);
    expect_private("<privacy> and <private and a<b", "<privacy> and <private and a<b", 0);
    expect_private("<private>multi\nline\nspan</private>\n  indented", "  indented", 1);
    /* A secret inside a private span counts as a span, not a secret. */
    redact_stats st;
    char *out = redact_text("x <private>password=hunter2</private>", 1, &st);
    assert_string_equal(out, "x");
    assert_int_equal(st.secrets, 0);
    free(out);
}

static void test_null_and_empty(void **state)
{
    (void)state;
    char *out = redact_text(NULL, 1, NULL);
    assert_string_equal(out, "");
    free(out);
    out = redact_text("", 1, NULL);
    assert_string_equal(out, "");
    free(out);
}

/* ---- UTF-8 and size ------------------------------------------------------------------ */

static void test_utf8_kept_valid(void **state)
{
    (void)state;
    expect("café password=hunter2 naïve", "café password=[REDACTED:password] naïve", 1);
    expect("日本語AKIAIOSFODNN7EXAMPLE日本語", "日本語[REDACTED:aws_access_key]日本語", 1);
    expect("clé: password=ünïcödé€ fin", "clé: password=[REDACTED:password] fin", 1);
    unchanged("pässwörd=ünïcödé is not an ASCII key");
    const char *in = "🔑 <private>秘密 🙈</private> ключ token=Zk9x€€€ 🙂";
    char *out = redact_text(in, 1, NULL);
    assert_true(utf8_valid(out, strlen(out)));
    assert_string_equal(out, "🔑 ключ token=[REDACTED:token] 🙂");
    free(out);
}

/* Builds a text of exactly len bytes by repeating unit. */
static char *repeat(const char *unit, size_t len)
{
    char *s = malloc(len + 1);
    size_t ul = strlen(unit);
    for (size_t i = 0; i < len; i++)
        s[i] = unit[i % ul];
    s[len] = '\0';
    return s;
}

static double cpu_seconds(void)
{
    return (double)clock() / CLOCKS_PER_SEC;
}

static void test_large_input(void **state)
{
    (void)state;
    const size_t size = 256 * 1024;
    /* Ordinary text with secrets planted at known places. */
    const char *unit = "Deploy notes: the cluster runs fine. password=hunter2 then "
                       "AKIAIOSFODNN7EXAMPLE and <private>hide me</private> done. ";
    size_t ul = strlen(unit), reps = size / ul;
    char *in = repeat(unit, reps * ul);
    redact_stats st;
    double t0 = cpu_seconds();
    char *out = redact_text(in, 1, &st);
    double t1 = cpu_seconds();
    assert_non_null(out);
    assert_int_equal(st.secrets, (int)(2 * reps));
    assert_int_equal(st.private_spans, (int)reps);
    assert_null(strstr(out, "hunter2"));
    assert_null(strstr(out, "AKIA"));
    assert_null(strstr(out, "hide me"));
    assert_true(t1 - t0 < 2.0);
    free(in);
    free(out);

    /* Inputs built to make a naive scanner quadratic must still be fast. */
    static const char *const nasty[] = {
        "password=$PASSWORD=",
        "eyJ-",
        "<private><private>",
        "-----BEGIN RSA PRIVATE KEY-----",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "Bearer ",
        "x://a:",
        "token: ",
        "<",
        "\"password\": \"\\",
        "password=a(",
        "\"password\": \"{password: \"{",
        "password: self.password.",
    };
    for (size_t k = 0; k < sizeof nasty / sizeof nasty[0]; k++) {
        in = repeat(nasty[k], size);
        t0 = cpu_seconds();
        out = redact_text(in, 1, NULL);
        t1 = cpu_seconds();
        assert_non_null(out);
        if (t1 - t0 >= 2.0) fail_msg("pattern \"%s\" took %.2f s", nasty[k], t1 - t0);
        free(in);
        free(out);
    }
}

/* ---- JSON trees ------------------------------------------------------------------------ */

static void test_json(void **state)
{
    (void)state;
    cJSON *j = cJSON_Parse("{\"note\":\"token=abc12345 <private>x</private> kept\","
                           "\"db_password\":\"hunter2\",\"pin_password\":1234,"
                           "\"tags\":[\"AKIAIOSFODNN7EXAMPLE\",\"fine\"],"
                           "\"nested\":{\"<private>k</private>key\":\"v\","
                           "\"api_key\":\"sk-abcdEFGH1234ijklMNOP5678qrst\"},"
                           "\"password_min_length\":12,\"secret\":null,\"token\":true}");
    assert_non_null(j);
    redact_stats st;
    assert_int_equal(redact_json(j, 1, &st), 0);
    char *text = cJSON_PrintUnformatted(j);
    assert_string_equal(text, "{\"note\":\"token=[REDACTED:token] kept\","
                              "\"db_password\":\"[REDACTED:password]\","
                              "\"pin_password\":\"[REDACTED:password]\","
                              "\"tags\":[\"[REDACTED:aws_access_key]\",\"fine\"],"
                              "\"nested\":{\"key\":\"v\",\"api_key\":\"[REDACTED:api_key]\"},"
                              "\"password_min_length\":12,\"secret\":null,\"token\":true}");
    assert_int_equal(st.secrets, 5);
    assert_int_equal(st.private_spans, 2);
    free(text);
    /* The cleaned tree is still usable: lookups by the cleaned key work. */
    assert_non_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(j, "nested"), "key"));
    cJSON_Delete(j);

    /* Secrets off: spans still go, secrets stay. */
    j = cJSON_Parse("[\"a <private>b</private>\", {\"password\": \"x1\"}]");
    assert_int_equal(redact_json(j, 0, &st), 0);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text, "[\"a\",{\"password\":\"x1\"}]");
    free(text);
    cJSON_Delete(j);

    /* Constant keys and referenced strings are replaced, not freed. */
    j = cJSON_CreateObject();
    cJSON_AddItemToObjectCS(j, "password", cJSON_CreateStringReference("hunter2"));
    cJSON_AddItemToObjectCS(j, "<private>k</private>note", cJSON_CreateStringReference("ok"));
    assert_int_equal(redact_json(j, 1, NULL), 0);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text, "{\"password\":\"[REDACTED:password]\",\"note\":\"ok\"}");
    free(text);
    cJSON_Delete(j);
    assert_int_equal(redact_json(NULL, 1, NULL), 0);

    /* Headers as JSON: the scheme stays, the credential goes. */
    j = cJSON_Parse("{\"headers\":{\"Authorization\":\"Bearer abc\","
                    "\"Proxy-Authorization\":\"Basic dXNlcjpw\",\"authorization\":\"rawtoken\","
                    "\"X-Api-Key\":\"k1\",\"Accept\":\"text/plain\"}}");
    assert_int_equal(redact_json(j, 1, &st), 0);
    text = cJSON_PrintUnformatted(j);
    assert_string_equal(text, "{\"headers\":{\"Authorization\":\"Bearer [REDACTED:bearer_token]\","
                              "\"Proxy-Authorization\":\"Basic [REDACTED:basic_auth]\","
                              "\"authorization\":\"[REDACTED:bearer_token]\","
                              "\"X-Api-Key\":\"[REDACTED:api_key]\",\"Accept\":\"text/plain\"}}");
    assert_int_equal(st.secrets, 4);
    free(text);
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aws),
        cmocka_unit_test(test_github),
        cmocka_unit_test(test_sk_keys),
        cmocka_unit_test(test_slack_google_stripe),
        cmocka_unit_test(test_jwt),
        cmocka_unit_test(test_private_key_block),
        cmocka_unit_test(test_bearer),
        cmocka_unit_test(test_assignments),
        cmocka_unit_test(test_prose_untouched),
        cmocka_unit_test(test_redact_off),
        cmocka_unit_test(test_private_spans),
        cmocka_unit_test(test_null_and_empty),
        cmocka_unit_test(test_utf8_kept_valid),
        cmocka_unit_test(test_large_input),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
