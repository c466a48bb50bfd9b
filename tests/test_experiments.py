"""Tests for course_lib.experiments: summaries over seeds, paired comparisons."""

import numpy as np
import pytest
from scipy import stats as scipy_stats

from course_lib import experiments


def test_summarize_matches_numpy_with_ddof_1():
    values = np.array([0.91, 0.93, 0.90, 0.95, 0.92])
    s = experiments.summarize(values)
    assert s.n == 5
    assert s.mean == pytest.approx(np.mean(values))
    assert s.std == pytest.approx(np.sqrt(np.sum((values - values.mean()) ** 2) / 4))
    assert (s.min, s.max) == (0.90, 0.95)


def test_summarize_arrays_and_axis():
    values = np.arange(12.0).reshape(3, 4) ** 2
    s = experiments.summarize(values.T, axis=1)
    np.testing.assert_allclose(s.mean, values.mean(axis=0))
    np.testing.assert_allclose(s.std, values.std(axis=0, ddof=1))
    assert s.n == 3


def test_over_seeds_calls_fn_with_each_seed():
    s = experiments.over_seeds(lambda seed: np.random.default_rng(seed).normal(), range(4))
    expected = [np.random.default_rng(seed).normal() for seed in range(4)]
    np.testing.assert_allclose(s.values, expected)


def test_paired_agrees_with_scipy_paired_t_statistic():
    rng = np.random.default_rng(0)
    a = rng.normal(size=8)
    b = a - 0.5 + 0.1 * rng.normal(size=8)
    p = experiments.paired(a, b)
    t = scipy_stats.ttest_rel(a, b).statistic
    assert p.mean / p.stderr == pytest.approx(t)
    assert p.distinguishable
    same = experiments.paired(a, a + 0.01 * rng.normal(size=8))
    assert same.n == 8 and abs(same.mean) < 0.02


def test_not_distinguishable_when_the_difference_is_noise():
    d = np.array([0.1, -0.1, 0.05, -0.05, 0.0])
    p = experiments.paired(d, np.zeros(5))
    assert not p.distinguishable


def test_pm_formats_mean_and_sample_std():
    s = experiments.summarize([1.0, 2.0, 3.0])
    assert experiments.pm(s, 2) == "2.00 ± 1.00"


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: experiments.summarize([1.0]), "values must hold at least 2 seeds"),
        (lambda: experiments.summarize([1.0, np.nan]), "values must be finite"),
        (lambda: experiments.over_seeds(3, [0, 1]), "fn must be callable"),
        (lambda: experiments.over_seeds(float, [0]), "seeds must hold at least 2"),
        (lambda: experiments.paired([1.0, 2.0], [1.0]), "a and b must have the same shape"),
        (lambda: experiments.pm(experiments.summarize([1.0, 2.0]), -1), "digits"),
        (lambda: experiments.pm(experiments.summarize([[1.0, 2.0], [3.0, 4.0]])), "stats must summarize"),
    ],
)
def test_bad_arguments_name_the_parameter(call, match):
    with pytest.raises(ValueError, match=match):
        call()
