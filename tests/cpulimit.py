"""The Python tests' runaway guard, as tests/testutil.h's for the C ones:
a CPU-time limit, inherited by every program the test starts (revlab,
chromium), instead of a wall-clock one that a busy machine could hit."""
import os
import resource

CPU_SECONDS = 900


def apply():
    scale = max(1.0, float(os.environ.get("RL_TEST_CPU_SCALE", "1")))
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    want = int(CPU_SECONDS * scale)
    if hard != resource.RLIM_INFINITY:
        want = min(want, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (want, hard))
