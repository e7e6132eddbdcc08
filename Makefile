# qarray build. One static library (every module but the CLI's main.c), the
# `qarray` binary and one cmocka test binary per tests/test_*.c, all linked
# against it. Sources are picked up by wildcard: add a file, it is built.
#
#   make            build ./qarray
#   make run        the default study (installs missing Debian packages first)
#   make test       unit tests, the same tests under ASan+UBSan, CLI tests
#   make bench      benchmarks (speed goals live here, never in unit tests)
#   make deps       apt-get install the Debian packages qarray needs
#   make clean

PKGS = gcc g++ make pkg-config libsystemc-dev libconfig-dev libcmocka-dev \
       gnuplot-nox libopenblas-dev zlib1g-dev dataset-fashion-mnist

CC = gcc
CXX = g++
BUILD ?= build
SAN ?=

PC_CFLAGS := $(shell pkg-config --cflags openblas systemc libconfig zlib 2>/dev/null)
PC_LIBS := $(shell pkg-config --libs openblas systemc libconfig zlib 2>/dev/null)

WARN = -Wall -Wextra -Werror
CFLAGS = -std=c11 -O2 -g -fopenmp $(WARN) -D_POSIX_C_SOURCE=200809L -I. $(PC_CFLAGS) \
         -MMD -MP $(SAN)
CXXFLAGS = -std=c++17 -O2 -g $(WARN) -I. $(PC_CFLAGS) -MMD -MP $(SAN)
LDFLAGS = -fopenmp -Wl,--as-needed $(SAN)
LDLIBS = $(PC_LIBS) -lm -lpthread
TEST_LDLIBS = -lcmocka $(LDLIBS)

C_SRC := $(wildcard arch/*.c workloads/*.c models/*.c quant/*.c) \
         $(filter-out sim/main.c, $(wildcard sim/*.c))
CC_SRC := $(wildcard sim/*.cc)
OBJ := $(C_SRC:%.c=$(BUILD)/%.o) $(CC_SRC:%.cc=$(BUILD)/%.o)
LIB := $(BUILD)/libqarray.a
BIN := $(BUILD)/qarray
TESTS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/test_*.c))
BENCHES := $(patsubst tests/%.c,$(BUILD)/tests/%,$(wildcard tests/bench_*.c))

.PHONY: all run test test-unit bench deps check-deps clean build-tests \
        deps-check golden

all: qarray

qarray: $(BIN)
	cp $(BIN) qarray

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.cc
	@mkdir -p $(dir $@)
	$(CXX) $(CXXFLAGS) -c $< -o $@

# The functional tile GEMM (sim/func.c) runs billions of MACs per ResNet-50
# image; -O2's very-cheap cost model leaves its inner loops scalar.
$(BUILD)/sim/func.o: CFLAGS += -O3

$(LIB): $(OBJ)
	@rm -f $@
	ar rcs $@ $^

# Linked with g++: the library holds the SystemC model (C++).
$(BIN): $(BUILD)/sim/main.o $(LIB)
	$(CXX) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(LIB)
	$(CXX) $(LDFLAGS) $^ $(TEST_LDLIBS) -o $@

build-tests: $(TESTS) $(BIN)

# Installs what is missing, then runs the real target in a fresh make so the
# pkg-config flags are read again.
check-deps:
	@dpkg -s $(PKGS) >/dev/null 2>&1 || $(MAKE) --no-print-directory deps

deps:
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y $(PKGS)

# The default study, PACT Section 6: on the study's engine (systemc) when
# this build runs it, else on the analytic model (said so on stderr);
# `make run ENGINE=analytic` or `ENGINE=systemc` chooses.
ENGINE ?=
# The default study (PACT Section 6) on the study's engine (SystemC);
# ENGINE=analytic make run uses the analytic model instead.
run: check-deps
	@$(MAKE) --no-print-directory qarray
	./qarray sweep -s arch/studies/pact2018.cfg $(if $(ENGINE),--engine $(ENGINE))

test: check-deps
	@$(MAKE) --no-print-directory build-tests
	@$(MAKE) --no-print-directory BUILD=build-asan \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer -DQA_TESTING" \
	    build-tests
	@tests/run.sh build build-asan

test-unit: build-tests
	@tests/run.sh build

bench: check-deps
	@$(MAKE) --no-print-directory $(BENCHES) qarray
	@for b in $(BENCHES); do echo "== $$b"; $$b || exit 1; done

# Rewrite the golden CSVs of tests/test_cli_run.sh after an intended model
# change (the commit says why the numbers moved).
golden: qarray
	./qarray run -c arch/tiny.cfg -w resnet20 --bits 4 --batch 2 --engine analytic -o build/golden > /dev/null
	cp build/golden/layers.csv tests/golden/tiny_resnet20_w4_layers.csv
	cp build/golden/summary.csv tests/golden/tiny_resnet20_w4_summary.csv

# The include graph is a DAG (shared/STYLE.md): models never see quant,
# quant never sees models or sim, no C header includes SystemC.
deps-check:
	@! grep -n '#include "\(quant\|sim\)/' models/*.[ch] arch/*.[ch] workloads/*.[ch]
	@! grep -n '#include "\(models\|sim\)/' quant/*.[ch]
	@! grep -ln 'systemc' arch/*.h workloads/*.h models/*.h quant/*.h sim/*.h
	@echo "include graph ok"

clean:
	rm -rf build build-asan qarray

.SECONDARY:

-include $(OBJ:.o=.d) $(BUILD)/sim/main.d $(TESTS:%=%.d)
