"""The benchmark's stages, each a mixin of bench.orchestrator.Bench sharing its run's state."""
