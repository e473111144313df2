"""Settings every property test shares."""

from hypothesis import settings

# No deadline: the suite makes no timing assertions (benchmarks/ measures
# speed), and a loaded machine would turn a slow example into a failure.
settings.register_profile("stableport", deadline=None, print_blob=True)
settings.load_profile("stableport")
