# nuanxin: two commands on a fresh machine.
#   make run   - install what is needed, start the whole system on the embedded broker and database
#   make test  - everything CI runs: lint, layering, AsyncAPI drift, unit, handler and integration
#                tests on the embedded broker, then the integration tests again on Apache Kafka
SHELL := /bin/bash
.DEFAULT_GOAL := help
UV := python3 -m uv
KAFKA_PORT ?= 19092
KAFKA_DIR ?= var/apache-kafka

.PHONY: help install run test lint test-embedded test-apache-kafka faults faults-long bench asyncapi clean

help:
	@echo "make run   - start nuanxin (embedded Kafka-protocol broker + PostgreSQL) at http://127.0.0.1:8000"
	@echo "make test  - run everything CI runs"

.venv/.installed: pyproject.toml uv.lock
	@python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet --disable-pip-version-check uv
	$(UV) sync --frozen --python 3.11
	@touch $@

install: .venv/.installed

run: install
	$(UV) run nuanxin up

lint: install
	$(UV) run ruff check .
	$(UV) run lint-imports
	$(UV) run nuanxin asyncapi --check

test-embedded: install
	bash tests/browser/ensure_chromium.sh
	$(UV) run pytest -q -p no:cacheprovider

# Again on real Apache Kafka (jars from Maven Central, Java 17) where that can be had.
test-apache-kafka: install
	@if bash deploy/kafka/run-kafka.sh available >/dev/null 2>&1; then \
	  set -e; \
	  trap 'bash deploy/kafka/run-kafka.sh stop --dir $(KAFKA_DIR)' EXIT; \
	  bash deploy/kafka/run-kafka.sh start --port $(KAFKA_PORT) --dir $(KAFKA_DIR); \
	  KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$(KAFKA_PORT) $(UV) run pytest -q -p no:cacheprovider -m integration; \
	else \
	  echo "Apache Kafka run skipped: Java 17 and Maven Central are needed (deploy/kafka/run-kafka.sh available)"; \
	fi

test: lint test-embedded test-apache-kafka

# The fault suite runs CI-sized inside make test; these run it alone, or long (20 kills, 3000 reports).
faults: install
	$(UV) run pytest -q -p no:cacheprovider -m faults tests/faults

faults-long: install
	NUANXIN_FAULTS_LONG=1 $(UV) run pytest -q -p no:cacheprovider -m faults tests/faults

# Not part of make test: measures rates, latencies and memory and writes bench/results/<time>/.
bench: install
	$(UV) run nuanxin bench

asyncapi: install
	$(UV) run nuanxin asyncapi

clean:
	rm -rf var .cache .venv
