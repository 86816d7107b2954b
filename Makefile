# The two commands of the README:
#   make examples   set everything up, then solve every problem in problems/ into output/
#                   and make the example exam into output/exam/
#   make test       set everything up, then run the test suite
.PHONY: setup examples test bench

setup:
	@bash scripts/setup.sh

examples: setup
	.venv/bin/backprop solve problems -o output
	.venv/bin/backprop exam problems/exam/midterm.yaml -o output/exam

test: setup
	@.venv/bin/python -m pytest -q; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: the test suite is missing" >&2; exit 1; fi; \
	exit $$rc

bench: setup
	for b in benchmarks/*.py; do .venv/bin/python $$b || exit 1; done
