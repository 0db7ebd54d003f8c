"""`nuanxin bench`: measure the stack the way `make run` starts it and write a report.

Stages (see docs/benchmark.md): Kafka pass-through limit, pipeline (intake to dashboard
stream), intake beside a bare endpoint, routing geometry, the SLA clock at a million open
deadlines, and peak RSS per service. Results go to bench/results/<timestamp>/.
"""
