"""The property tests' Hypothesis profiles: every example in the suite, a few in the quick loop.

``stableport``, loaded by default, is the whole suite's: each test runs its
full number of examples. ``quick`` is the inner loop's (README, Development:
``pytest -m "not slow" --hypothesis-profile=quick``): every property still
runs, on a few examples each. tests/conftest.py imports this module at start-up,
before pytest reads ``--hypothesis-profile``, so the option finds both.
"""

from hypothesis import settings

# Enough to run every property's code paths once or twice; the suite runs the rest.
QUICK_EXAMPLES = 5

# No deadline: the suite makes no timing assertions (benchmarks/ measures
# speed), and a loaded machine would turn a slow example into a failure.
settings.register_profile("stableport", deadline=None, print_blob=True)
settings.register_profile(
    "quick", parent=settings.get_profile("stableport"), max_examples=QUICK_EXAMPLES
)
settings.load_profile("stableport")


def examples(count: int) -> int:
    """count for a test's own ``max_examples``, capped at the quick profile's in the quick loop.

    A test's ``@settings(max_examples=...)`` overrides every profile, so a test
    that asks for more examples (or fewer) than the default asks through this:
    read when the test module is imported, after pytest has loaded the profile.
    """
    if settings.get_current_profile_name() == "quick":
        return min(count, QUICK_EXAMPLES)
    return count
