# The two commands a newcomer needs: `make run` and `make test`.
PORT ?= 8080
DATA_DIR ?= ./var
JOBS ?= $(shell nproc)

.PHONY: all bootstrap build web run cluster test bench fuzz clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPF_WERROR=OFF >/dev/null
	@cmake --build build -j $(JOBS) --target prodflow -- --no-print-directory

# The editor, built by Vite into web/dist, which `prodflow serve` serves at /.
web: bootstrap
	@cd web && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build

run: build web
	./build/prodflow serve --port $(PORT) --data-dir $(DATA_DIR)

# Celery mode on this machine: redis-server, two workers and the server, all
# on 127.0.0.1; Ctrl-C stops them (docs/scale-out.md, "A local cluster").
CLUSTER_PORT ?= 0
cluster: build web
	@CLUSTER_PORT=$(CLUSTER_PORT) scripts/cluster

test: bootstrap web
	@cmake -S . -B build-test -DCMAKE_BUILD_TYPE=Debug -DPF_SANITIZE=ON >/dev/null
	@cmake --build build-test -j $(JOBS) -- --no-print-directory
	@cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	@cd build-test && ctest --output-on-failure -j $(JOBS); status=$$?; cd .. && scripts/slowest-tests build-test; scripts/test-failures build-test; exit $$status

bench: build
	@cmake --build build -j $(JOBS) --target benches -- --no-print-directory
	@bench/run

# Every fuzz target for FUZZ_SECONDS each (fuzz/README.md; `fuzz/run replay`
# only replays the corpora).
FUZZ_SECONDS ?= 60
fuzz: bootstrap
	@fuzz/run all $(FUZZ_SECONDS)

clean:
	rm -rf build build-test build-fuzz
