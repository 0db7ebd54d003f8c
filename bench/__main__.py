"""`python -m bench`: the benchmark (the same as `nuanxin bench`)."""

from bench.run import main

raise SystemExit(main())
