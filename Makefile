# qarray build. One static library (every module but the CLI's main.c), the
# `qarray` binary and one cmocka test binary per tests/test_*.c, all linked
# against it. Sources are picked up by wildcard: add a file, it is built.
#
#   make            build ./qarray
#   make run        the default study (installs missing Debian packages first)
#   make test       unit tests, the same under ASan+UBSan, every fuzz harness
#                   for 3 s, CLI tests (the cluster tests among them)
#   make test-cluster  GNU parallel and a local one-node Slurm (started and
#                   stopped by the test, needs root) each run a sharded study
#   make bench      benchmarks (speed goals live here, never in unit tests)
#   make fuzz       every libFuzzer harness of tests/fuzz for FUZZ_SECONDS each
#   make memcheck   a representative set of tests and runs under valgrind
#   make deps       apt-get install the Debian packages qarray needs
#   make clean

PKGS = gcc g++ make pkg-config libsystemc-dev libconfig-dev libcmocka-dev \
       gnuplot-nox libopenblas-dev zlib1g-dev dataset-fashion-mnist \
       clang libclang-rt-14-dev verilator yosys libprotobuf-c-dev \
       protobuf-c-compiler libonnx-dev python3-onnx libsqlite3-dev sqlite3 \
       parallel slurm-wlm munge libdnnl-dev

CC = gcc
CXX = g++
BUILD ?= build
SAN ?=

# OpenBLAS: its header only. The library is loaded when training builds a
# network (quant/train/blas.c): linked, its constructor started a thread
# pool in every command, which spun forever under an address-space limit.
PC_CFLAGS := $(shell pkg-config --cflags openblas systemc libconfig zlib libprotobuf-c sqlite3 2>/dev/null)
PC_LIBS := $(shell pkg-config --libs systemc libconfig zlib libprotobuf-c sqlite3 2>/dev/null) -ldl

# The ONNX reader (workloads/onnx.c) parses models with protobuf-c. Its C
# code is generated at build time into BUILD/gen from onnx.proto as Debian's
# libonnx-dev ships it (never committed): ONNX_PROTO overrides where it is.
ONNX_PROTO ?= $(or $(firstword $(filter %/onnx.proto,$(shell dpkg -L libonnx-dev 2>/dev/null))),\
                   $(wildcard /usr/include/onnx/onnx.proto))

# shared/STYLE.md practice 18. Under -Wdouble-promotion a float that meets a
# double is cast with an explicit (double), so every mixed expression shows
# where it widens. g++ gets the set minus the two C-only flags (it warns that
# they are not valid for C++).
WARN_COMMON = -Wall -Wextra -Wshadow -Wundef -Wwrite-strings -Wdouble-promotion
WARN_C = $(WARN_COMMON) -Wmissing-prototypes -Wstrict-prototypes
WARN = $(WARN_C) -Werror
WARN_CXX = $(WARN_COMMON) -Werror
CFLAGS = -std=c11 -O2 -g -fopenmp $(WARN) -D_POSIX_C_SOURCE=200809L -I. -I$(BUILD)/gen \
         $(PC_CFLAGS) -MMD -MP $(SAN)
CXXFLAGS = -std=c++17 -O2 -g $(WARN_CXX) -I. $(PC_CFLAGS) -MMD -MP $(SAN)
LDFLAGS = -fopenmp -Wl,--as-needed $(SAN)
# oneDNN (libdnnl-dev) ships no pkg-config file.
LDLIBS = $(PC_LIBS) -ldnnl -lm -lpthread
TEST_LDLIBS = -lcmocka $(LDLIBS)

LIB_DIRS = arch workloads models quant quant/train quant/int sim/engine \
           sim/report sim/study sim/cli
C_SRC := $(filter-out sim/cli/main.c, $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)))
CC_SRC := $(wildcard sim/engine/*.cc)
OBJ := $(C_SRC:%.c=$(BUILD)/%.o) $(CC_SRC:%.cc=$(BUILD)/%.o) $(BUILD)/gen/onnx.pb-c.o
LIB := $(BUILD)/libqarray.a
BIN := $(BUILD)/qarray
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
BENCHES := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench_*.c))

.PHONY: all run test test-unit test-cluster bench deps node-deps check-deps clean build-tests \
        deps-check golden fuzz fuzz-build check-fuzz-deps memcheck

all: qarray

qarray: $(BIN)
	cp $(BIN) qarray

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

# protobuf-c's C code for onnx.proto (one grouped rule: both files at once),
# for the gcc builds and the fuzz build alike.
%/gen/onnx.pb-c.c %/gen/onnx.pb-c.h: $(ONNX_PROTO)
	@test -n "$(ONNX_PROTO)" || { echo "onnx.proto not found: install libonnx-dev (make deps) or set ONNX_PROTO=PATH"; exit 1; }
	@mkdir -p $*/gen
	protoc-c --c_out=$*/gen -I$(dir $(ONNX_PROTO)) $(ONNX_PROTO)

$(BUILD)/gen/onnx.pb-c.o: $(BUILD)/gen/onnx.pb-c.c
	$(CC) $(CFLAGS) -c $< -o $@

# The reader includes the generated header: make it first.
ONNX_OBJ = onnx onnx_val onnx_ops onnx_shape
$(BUILD)/quant/int/onnx_q.o $(BUILD)/quant/int/onnx_out.o: $(BUILD)/gen/onnx.pb-c.h
$(ONNX_OBJ:%=$(BUILD)/workloads/%.o): $(BUILD)/gen/onnx.pb-c.h

# The functional tiles and the integer reference (sim/engine/func.c, fgemm.c,
# quant/int/irun.c, iconv.c) requantize, compare and lay out every activation
# and weight of a ResNet-50 image, and the training layers
# (quant/train/layers.c) stream every activation several times per step;
# -O2's very-cheap cost model leaves their inner loops scalar.
$(BUILD)/sim/engine/func.o $(BUILD)/sim/engine/fgemm.o $(BUILD)/quant/int/irun.o \
$(BUILD)/quant/int/iconv.o $(BUILD)/quant/train/layers.o: CFLAGS += -O3

# The git commit of the build, recorded with every study database
# (sim/study/store.c). The stamp changes only when the commit does, so
# store.o alone is rebuilt then.
QA_COMMIT := $(shell git describe --always --dirty --abbrev=12 2>/dev/null || echo unknown)
$(BUILD)/commit.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(QA_COMMIT)' | cmp -s - $@ || echo '$(QA_COMMIT)' > $@
$(BUILD)/sim/study/store.o: $(BUILD)/commit.stamp
$(BUILD)/sim/study/store.o: CFLAGS += -DQA_COMMIT='"$(QA_COMMIT)"'
FORCE:

$(LIB): $(OBJ)
	@rm -f $@
	ar rcs $@ $^

# Linked with g++: the library holds the SystemC model (C++).
$(BIN): $(BUILD)/sim/cli/main.o $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	$(CXX) $(LDFLAGS) $^ $(TEST_LDLIBS) -o $@

# The PE array in Verilog (models/rtl) under Verilator, against pe_ref.c and
# systolic.c (tests/rtl/tb_array.cc, a test binary like the others). One
# build holds every array shape the bench runs; it is made in the plain
# build only (the Verilog is not C, ASan adds nothing to it). Lint warnings
# (-Wall) stop the build; -fno-inline and -O0 keep it near 10 s (40 s
# without), the run takes about a second.
RTL_V := $(wildcard models/rtl/*.v) $(wildcard tests/rtl/*.v)
RTL_TEST := $(if $(SAN),,$(BUILD)/tests/test_rtl_array)
$(BUILD)/tests/test_rtl_array: tests/rtl/tb_array.cc $(RTL_V) $(LIB)
	@mkdir -p $(BUILD)/rtl $(dir $@)
	@echo "verilator tests/rtl/tb_array.cc $(RTL_V)"
	@verilator --cc --exe --build -j 2 -Wall -fno-inline --top-module tb_top \
	    -Mdir $(BUILD)/rtl -o test_rtl_array -CFLAGS -I$(CURDIR) \
	    -MAKEFLAGS OPT_FAST=-O0 -MAKEFLAGS OPT_SLOW=-O0 \
	    -LDFLAGS "$(CURDIR)/$(LIB) $(LDFLAGS) $(LDLIBS)" \
	    $(CURDIR)/tests/rtl/tb_array.cc $(RTL_V) > $(BUILD)/rtl/build.log 2>&1 || \
	    { tail -n 40 $(BUILD)/rtl/build.log; exit 1; }
	cp $(BUILD)/rtl/test_rtl_array $@

build-tests: $(TESTS) $(BIN) $(RTL_TEST)

# Installs what is missing, then runs the real target in a fresh make so the
# pkg-config flags are read again.
check-deps:
	@dpkg -s $(PKGS) >/dev/null 2>&1 || $(MAKE) --no-print-directory deps
	@{ command -v node && command -v npm; } >/dev/null 2>&1 || $(MAKE) --no-print-directory node-deps

# Node runs ONNX Runtime in tests/test_cli_onnxq.sh (npm's onnxruntime-node,
# installed into build/ort by the test). A node that is already there (as
# from another repository) is kept: Debian's npm would conflict with it.
node-deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y $(PKGS)

# The default study (PACT Section 6) on the study's engine (SystemC);
# `make run ENGINE=analytic` runs it on the analytic model instead.
ENGINE ?=
run: check-deps
	@$(MAKE) --no-print-directory qarray
	./qarray sweep -s arch/studies/pact2018.cfg $(if $(ENGINE),--engine $(ENGINE))

test: check-deps
	@tests/deps_check.sh
	@$(MAKE) --no-print-directory build-tests
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DQA_TESTING" \
	    build-tests
	@$(MAKE) --no-print-directory -j2 fuzz FUZZ_SECONDS=3
	@tests/run.sh build build-asan

test-unit: build-tests
	@tests/run.sh build

# Also part of `make test` (tests/run.sh runs every tests/test_*.sh): about
# a minute on two cores.
test-cluster: check-deps
	@$(MAKE) --no-print-directory qarray
	@sh tests/test_cluster_parallel.sh && sh tests/test_cluster_slurm.sh

bench: check-deps
	@$(MAKE) --no-print-directory $(BENCHES) qarray
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

# Rewrite the golden CSVs of tests/test_cli_run.sh after an intended model
# change (the commit says why the numbers moved).
golden: qarray
	./qarray run -c arch/tiny.cfg -w resnet20 --bits 4 --batch 2 --engine analytic -o build/golden > /dev/null
	cp build/golden/layers.csv tests/golden/tiny_resnet20_w4_layers.csv
	cp build/golden/summary.csv tests/golden/tiny_resnet20_w4_summary.csv

# The include graph is a DAG that follows the folder rule of
# shared/STYLE.md; no C header includes SystemC (tests/deps_check.sh).
deps-check:
	@tests/deps_check.sh

# Fuzzing (tests/fuzz, libFuzzer). The loaders and the models are rebuilt
# with clang and ASan+UBSan in build-fuzz; each harness then runs for
# FUZZ_SECONDS from its checked-in seeds (tests/fuzz/corpus/NAME, never
# written) plus what earlier runs found (build-fuzz/corpus/NAME). Any crash,
# hang (> FUZZ_TIMEOUT s for one input), leak, sanitizer report or single
# allocation over FUZZ_MALLOC_MB fails the target; the input is saved under
# build-fuzz/artifacts/. `make -j2 fuzz` runs two harnesses at a time.
# -Werror is left to the gcc build: a warning only clang knows must not stop
# the fuzzing of an otherwise good tree.
FUZZ_PKGS = clang libclang-rt-14-dev
FUZZ_CC = clang
FUZZ_BUILD = build-fuzz
FUZZ_SECONDS ?= 10
FUZZ_TIMEOUT ?= 10
FUZZ_MALLOC_MB ?= 512
FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
           -fno-omit-frame-pointer
# OpenMP as the main build has it (clang's libomp).
FUZZ_OMP = $(filter -fopenmp,$(CFLAGS))
# At -O1 clang does not vectorize an `omp simd` loop and says so
# (-Wpass-failed); the gcc build vectorizes it.
FUZZ_CFLAGS = -std=c11 -O1 -g $(WARN_C) -Wno-pass-failed -D_POSIX_C_SOURCE=200809L -I. \
              -I$(FUZZ_BUILD)/gen $(PC_CFLAGS) -MMD -MP $(FUZZ_SAN) $(FUZZ_OMP) -DQA_TESTING
# sim/report/table.c and csv.c (the reader and the writer of qarray's own
# CSV tables), sim/study/study.c (study files) and sim/engine/func.c (the
# functional chip's layer graph of a model file) with fgemm.c (its tiles on
# oneDNN's product) are plain C.
FUZZ_SRC := $(foreach d,arch workloads models quant quant/train quant/int,$(wildcard $(d)/*.c)) \
            sim/report/table.c sim/report/csv.c sim/study/study.c sim/engine/func.c \
            sim/engine/fgemm.c
FUZZ_OBJ := $(FUZZ_SRC:%.c=$(FUZZ_BUILD)/%.o) $(FUZZ_BUILD)/gen/onnx.pb-c.o
# No SystemC: the harnesses reach only the C library.
FUZZ_LIBS := $(shell pkg-config --libs libconfig zlib libprotobuf-c 2>/dev/null) -ldnnl -ldl -lm
FUZZ_LIB := $(FUZZ_BUILD)/libqarray.a
FUZZ_NAMES := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZERS := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)

check-fuzz-deps:
	@dpkg -s $(FUZZ_PKGS) >/dev/null 2>&1 || { apt-get update && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y $(FUZZ_PKGS); }

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/gen/onnx.pb-c.o: $(FUZZ_BUILD)/gen/onnx.pb-c.c
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(ONNX_OBJ:%=$(FUZZ_BUILD)/workloads/%.o): $(FUZZ_BUILD)/gen/onnx.pb-c.h
$(FUZZ_BUILD)/quant/int/onnx_q.o $(FUZZ_BUILD)/quant/int/onnx_out.o: $(FUZZ_BUILD)/gen/onnx.pb-c.h

$(FUZZ_LIB): $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_BUILD)/fuzz_%: $(FUZZ_BUILD)/tests/fuzz/fuzz_%.o $(FUZZ_LIB)
	$(FUZZ_CC) $(FUZZ_SAN) $(FUZZ_OMP) -fsanitize=fuzzer -Wl,--as-needed $^ \
	    $(FUZZ_LIBS) -o $@

fuzz-build: check-fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZERS)

fuzz: fuzz-build
	@$(MAKE) --no-print-directory $(FUZZ_NAMES:%=fuzz-run-%)

# A small quarantine and no suppression report keep the leak check (run
# after every input that allocates more than it frees, which libconfig's
# suppressed leak does on most syntax errors) from dominating: 17k instead
# of 400 executions per second on the architecture harness.
FUZZ_ASAN = detect_leaks=1:quarantine_size_mb=4
FUZZ_LSAN = suppressions=tests/fuzz/lsan.supp:print_suppressions=0

# Inputs up to 4 KiB, but checkpoints are 50 KB, a trained model 20 KB and
# the ONNX seeds up to 11 KB.
FUZZ_MAXLEN_ckpt = 65536
FUZZ_MAXLEN_model = 65536
FUZZ_MAXLEN_onnx = 16384
FUZZ_MAXLEN_onnxq = 16384

# One harness: its log is kept in build-fuzz/NAME.log; the last line printed
# is the number of inputs executed. stdin is /dev/null: an input may name
# /dev/stdin as a file to read, and a fuzz run must never wait on a terminal.
fuzz-run-%: $(FUZZ_BUILD)/fuzz_%
	@mkdir -p $(FUZZ_BUILD)/corpus/$* $(FUZZ_BUILD)/artifacts
	@echo "== fuzz $* for $(FUZZ_SECONDS) s"
	@if ASAN_OPTIONS=$(FUZZ_ASAN) LSAN_OPTIONS=$(FUZZ_LSAN) OMP_NUM_THREADS=1 \
	    $< -max_total_time=$(FUZZ_SECONDS) -max_len=$(or $(FUZZ_MAXLEN_$*),4096) -timeout=$(FUZZ_TIMEOUT) -malloc_limit_mb=$(FUZZ_MALLOC_MB) \
	    -rss_limit_mb=2048 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$*- \
	    $(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
	    $(FUZZ_BUILD)/corpus/$* tests/fuzz/corpus/$* < /dev/null \
	    > $(FUZZ_BUILD)/$*.log 2>&1; then \
	    grep -h 'stat::number_of_executed_units' $(FUZZ_BUILD)/$*.log | \
	        sed 's/.*: */   $* executions: /'; \
	else \
	    tail -n 40 $(FUZZ_BUILD)/$*.log; echo "fuzz $*: FAILED"; exit 1; \
	fi

# valgrind memcheck over a representative set of tests and CLI runs (the
# list and the SystemC stack caveat: tests/memcheck.sh). Zero errors and
# zero leaks, or the target fails.
memcheck: check-deps
	@dpkg -s valgrind >/dev/null 2>&1 || { apt-get update && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y valgrind; }
	@$(MAKE) --no-print-directory build-tests
	@tests/memcheck.sh build

clean:
	rm -rf build build-asan build-fuzz qarray

.SECONDARY:

-include $(OBJ:.o=.d) $(BUILD)/sim/cli/main.d $(TESTS:%=%.d)
-include $(FUZZ_OBJ:.o=.d) $(FUZZ_NAMES:%=$(FUZZ_BUILD)/tests/fuzz/fuzz_%.d)
