# One build for the core library, the MCP server and the hooks.
#   make               library + binaries (build/)
#   make test          everything CI runs (see scripts/check.sh for a fresh machine)
#   make asan          the same binaries with ASan + UBSan in build/asan
#   make install PREFIX=/usr/local
#   make bench         benchmarks (not part of make test)

.DEFAULT_GOAL := all
PREFIX  ?= /usr/local
BUILD   ?= build
CC      ?= cc
PKGS    := libcjson lmdb libxxhash libsodium libutf8proc libcurl
DEPCFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
DEPLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lcjson -llmdb -lxxhash -lsodium -lutf8proc -lcurl)
WARN    := -Wall -Wextra -Werror -Wconversion -Wno-sign-conversion -Wshadow -Wstrict-prototypes \
           -Wmissing-prototypes -Wformat=2
OPT     ?= -O2 -g
SAN     ?=
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) $(SAN) $(WARN) $(DEPCFLAGS) -Icore $(CFLAGS)
LDFLAGS_ALL := $(SAN) -Wl,--as-needed $(LDFLAGS)
# --as-needed (LDFLAGS_ALL) drops any of these a binary does not call: hooks never load libcurl.
LIBS    := $(DEPLIBS) -lstemmer -lpthread -lm

CORE_SRC   := $(sort $(wildcard core/*.c))
SERVER_SRC := $(sort $(wildcard server/*.c))
HOOK_MAINS := $(sort $(wildcard hooks/main-*.c))
HOOK_LIB_SRC := $(filter-out hooks/main-%.c,$(sort $(wildcard hooks/*.c)))
UNIT_SRC   := $(sort $(wildcard tests/unit/test_*.c))
TESTLIB_SRC := $(sort $(wildcard tests/unit/support_*.c))

CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/obj/%.o)
SERVER_OBJ := $(SERVER_SRC:%.c=$(BUILD)/obj/%.o)
TESTLIB_OBJ := $(TESTLIB_SRC:%.c=$(BUILD)/obj/%.o)
HOOK_LIB_OBJ := $(HOOK_LIB_SRC:%.c=$(BUILD)/obj/%.o)
HOOK_BINS  := $(HOOK_MAINS:hooks/main-%.c=$(BUILD)/bin/mem0-%)
LIB        := $(BUILD)/lib/libmem0core.a
SERVER_BIN := $(BUILD)/bin/mem0-mcp
UNIT_BINS  := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_BINS  := $(patsubst tests/tools/%.c,$(BUILD)/tests/%,$(sort $(wildcard tests/tools/*.c)))

.PHONY: objects all lib test asan asan-unit asan-protocol asan-hooks asan-guard unit protocol \
        integration hooks guard sdk e2e neon valgrind lint \
        coverage bench install clean format
# Every object is named here, so none is "intermediate": make neither deletes objects after
# a run nor skips building one that is missing.
ALL_OBJ := $(CORE_OBJ) $(SERVER_OBJ) $(TESTLIB_OBJ) $(HOOK_LIB_OBJ) \
           $(HOOK_MAINS:%.c=$(BUILD)/obj/%.o) $(UNIT_SRC:%.c=$(BUILD)/obj/%.o) \
           $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard tests/tools/*.c))
objects: $(ALL_OBJ)
all: $(SERVER_BIN) $(HOOK_BINS)
lib: $(LIB)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -MMD -c $< -o $@

$(LIB): $(CORE_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SERVER_BIN): $(SERVER_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $(SERVER_OBJ) $(LIB) $(LIBS)

$(BUILD)/bin/mem0-%: $(BUILD)/obj/hooks/main-%.o $(HOOK_LIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(HOOK_LIB_OBJ) $(LIB) $(LIBS)

$(BUILD)/tests/test_%: $(BUILD)/obj/tests/unit/test_%.o $(TESTLIB_OBJ) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(TESTLIB_OBJ) $(LIB) $(LIBS) -lcmocka

$(BUILD)/tests/%: $(BUILD)/obj/tests/tools/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS_ALL) -o $@ $< $(LIB) $(LIBS)

unit: $(UNIT_BINS)
	@scripts/run-unit.sh $(UNIT_BINS)

protocol: $(SERVER_BIN)
	@node tests/protocol/run.mjs --bin $(abspath $(SERVER_BIN)) tests/protocol/cases

integration: $(SERVER_BIN) $(TOOL_BINS)
	@BIN=$(abspath $(SERVER_BIN)) TOOLS=$(abspath $(BUILD)/tests) scripts/run-integration.sh

hooks: all $(TOOL_BINS)
	@BIN=$(abspath $(BUILD)/bin) TOOLS=$(abspath $(BUILD)/tests) scripts/run-hooks-tests.sh

guard: $(BUILD)/bin/mem0-guard
	@node tests/guard/run.mjs --bin $(abspath $(BUILD)/bin/mem0-guard) tests/guard/cases

e2e: all $(BUILD)/tests/hold_writer
	@BINDIR=$(abspath $(BUILD)/bin) TOOLS=$(abspath $(BUILD)/tests) scripts/run-e2e.sh

neon:
	@NEON_REQUIRED=1 scripts/test-neon.sh

sdk: $(SERVER_BIN)
	@BIN=$(abspath $(SERVER_BIN)) scripts/run-sdk.sh

valgrind: $(SERVER_BIN) $(UNIT_BINS)
	@VALGRIND=1 scripts/run-unit.sh $(UNIT_BINS)
	@node tests/protocol/run.mjs --bin $(abspath $(SERVER_BIN)) --valgrind tests/protocol/cases

lint:
	cppcheck --error-exitcode=1 --enable=warning,performance,portability --inline-suppr \
	  --suppress=missingIncludeSystem --std=c11 -q -Icore core server hooks

# Line coverage of core/ per module, from the unit and protocol suites (needs gcovr).
coverage:
	rm -rf build/cov
	$(MAKE) BUILD=build/cov OPT="-O0 -g --coverage" LDFLAGS=--coverage unit all
	node tests/protocol/run.mjs --bin $(abspath build/cov/bin/mem0-mcp) tests/protocol/cases
	gcovr -r . --filter core/ build/cov/obj

ASAN_BUILD := build/asan
ASAN_UNIT  := $(UNIT_BINS:$(BUILD)/%=$(ASAN_BUILD)/%)
asan:
	$(MAKE) BUILD=$(ASAN_BUILD) OPT="-O1 -g -fno-omit-frame-pointer" \
	        SAN="-fsanitize=address,undefined -fno-sanitize-recover=all" all $(ASAN_UNIT)

asan-unit: asan
	ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 scripts/run-unit.sh $(ASAN_UNIT)

asan-protocol: asan
	ASAN_OPTIONS=detect_leaks=1 node tests/protocol/run.mjs --bin $(abspath $(ASAN_BUILD)/bin/mem0-mcp) tests/protocol/cases

asan-hooks: asan $(TOOL_BINS)
	ASAN_OPTIONS=detect_leaks=1 BIN=$(abspath $(ASAN_BUILD)/bin) TOOLS=$(abspath $(BUILD)/tests) \
	  scripts/run-hooks-tests.sh

asan-guard: asan
	ASAN_OPTIONS=detect_leaks=1 node tests/guard/run.mjs --bin $(abspath $(ASAN_BUILD)/bin/mem0-guard) \
	  tests/guard/cases

# Everything CI runs, suite by suite (scripts/test-all.sh prints the summary line).
test:
	@scripts/test-all.sh

bench: $(SERVER_BIN) $(TOOL_BINS)
	BUILD=$(BUILD) scripts/bench-latency.sh
	scripts/bench-hooks.sh

install: $(SERVER_BIN) $(HOOK_BINS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include
	install -m 0755 $(SERVER_BIN) $(HOOK_BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 0644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 core/mem0.h $(DESTDIR)$(PREFIX)/include/

format:
	clang-format -i core/*.[ch] server/*.[ch] $(wildcard hooks/*.[ch]) tests/unit/*.[ch]

clean:
	rm -rf build

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
