"""BG/NBD: the classic buy-till-you-die baseline for "who buys again", from transactions alone.

Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way: An Alternative to the
Pareto/NBD Model", Marketing Science 24(2). Each customer, while alive, buys at a Poisson rate
``lambda ~ Gamma(r, alpha)`` and after every purchase drops out for good with probability
``p ~ Beta(a, b)``. Three numbers per customer are sufficient statistics:

* ``frequency`` x: the number of *repeat* purchases (orders after the first one);
* ``recency`` t_x: time from the first purchase to the last one (0 when x = 0);
* ``T``: the customer's age, time from the first purchase to the end of the observation window.

Units: any time unit (days or weeks) works, as long as recency, T and the horizon ``t`` of the
predictions all use the same one; ``alpha_`` is in that unit (``r_ / alpha_`` is the mean
purchase rate per unit). Weeks give better-conditioned fits on multi-year data; segkit's
backtest speaks days, and both are fine.

Why our own fit rather than a package: ``lifetimes`` (the usual reference implementation)
downloads here, but its last release is 0.11.3 from July 2020, it is in maintenance mode in
favour of ``pymc-marketing``, its data helpers call ``DataFrame.append`` (removed in pandas 2)
and it pulls in ``autograd`` and ``dill`` (saved models are pickles, which segkit never loads).
``pymc-marketing`` brings PyMC and a compiler stack for a four-parameter likelihood. The model
is small: the log-likelihood below is the paper's equation (6), maximised over log-parameters
with L-BFGS-B; ``tests/unit/model/test_bgnbd.py`` checks that it recovers known parameters
from customers simulated under the model.

Ranking: for segkit's question ("will this customer buy within H days?") rank customers by
:meth:`BGNBD.prob_any_purchase` with ``t = H``, which is exactly that probability under the
model. :meth:`BGNBD.expected_purchases` (the paper's conditional expectation, eq. 10) ranks
almost the same way but also rewards customers expected to buy many times, which a yes/no
target does not ask about.

scipy is imported inside the functions that need it (it ships with scikit-learn), so importing
this module stays cheap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from toolkit.errors import DataError, SegkitError

# Log-parameter box for the optimiser: exp(+-12) spans 6e-6 .. 1.6e5, far beyond any fitted
# value seen in practice, and keeps gammaln away from overflow while L-BFGS-B explores.
_LOG_BOUND = 12.0


@dataclass(frozen=True)
class _Summary:
    x: np.ndarray
    t_x: np.ndarray
    T: np.ndarray


def _as_vector(name: str, values: ArrayLike) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise DataError(f"BG/NBD: {name} must be numbers") from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise DataError(
            f"BG/NBD: {name} must be one value per customer (1-D), got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        bad = int(np.sum(~np.isfinite(arr)))
        raise DataError(f"BG/NBD: {name} has {bad} missing or infinite value(s)")
    if np.any(arr < 0):
        raise DataError(f"BG/NBD: {name} has {int(np.sum(arr < 0))} negative value(s)")
    return arr


def _summary(frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> _Summary:
    """Validate the three per-customer statistics; every problem is one readable line."""
    x = _as_vector("frequency", frequency)
    t_x = _as_vector("recency", recency)
    age = _as_vector("T", T)
    if not (len(x) == len(t_x) == len(age)):
        raise DataError(
            f"BG/NBD: frequency, recency and T must have one value per customer "
            f"(got {len(x)}, {len(t_x)}, {len(age)})"
        )
    if len(x) == 0:
        raise DataError("BG/NBD: no customers to fit or score")
    if np.any(x != np.round(x)):
        raise DataError("BG/NBD: frequency must be whole numbers of repeat purchases")
    late = t_x > age
    if np.any(late):
        raise DataError(f"BG/NBD: recency is greater than T for {int(late.sum())} customer(s)")
    ghost = (x == 0) & (t_x > 0)
    if np.any(ghost):
        raise DataError(
            f"BG/NBD: {int(ghost.sum())} customer(s) have frequency 0 but recency > 0 "
            "(recency is the time of the last repeat purchase, so it must be 0)"
        )
    return _Summary(x=x, t_x=t_x, T=age)


def _log_likelihood(params: np.ndarray, s: _Summary) -> np.ndarray:
    """Per-customer log-likelihood, FHL (2005) eq. 6, in log space for stability."""
    from scipy.special import gammaln, logsumexp

    r, alpha, a, b = params
    x, t_x, T = s.x, s.t_x, s.T
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    # log(a / (b + x - 1)) is only defined (and only used) for repeat buyers.
    a4 = np.full_like(x, -np.inf)
    xr = x[repeat]
    a4[repeat] = np.log(a) - np.log(b + xr - 1) - (r + xr) * np.log(alpha + t_x[repeat])
    return a1 + a2 + logsumexp(np.stack([a3, a4]), axis=0)


class BGNBD:
    """Beta-geometric / negative binomial model, fitted by maximum likelihood.

    ``BGNBD().fit(frequency, recency, T)`` sets ``r_``, ``alpha_``, ``a_``, ``b_`` and
    ``log_likelihood_`` (total over customers); the prediction methods take the same three
    statistics for the customers to score (usually the ones it was fitted on).
    """

    def __init__(self, penalizer: float = 0.0) -> None:
        if penalizer < 0:
            raise SegkitError("BG/NBD: penalizer must be >= 0")
        # Optional L2 pull of the parameters towards 0 (as in lifetimes), for tiny samples
        # where the likelihood is flat; 0 means the plain maximum-likelihood estimate.
        self.penalizer = penalizer

    # ---- fitting -------------------------------------------------------------------------
    def fit(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> "BGNBD":
        """Maximise the BG/NBD likelihood; raises a one-line error for unusable input."""
        from scipy.optimize import minimize

        s = _summary(frequency, recency, T)
        if not np.any(s.x > 0):
            raise DataError(
                "BG/NBD: no customer has a repeat purchase, so the model cannot be fitted"
            )
        n = len(s.x)

        def objective(log_params: np.ndarray) -> float:
            params = np.exp(log_params)
            ll = _log_likelihood(params, s).sum() / n
            return float(-ll + self.penalizer * np.sum(params**2))

        result = minimize(
            objective,
            x0=np.zeros(4),
            method="L-BFGS-B",
            bounds=[(-_LOG_BOUND, _LOG_BOUND)] * 4,
        )
        if not np.all(np.isfinite(result.x)) or not np.isfinite(result.fun):
            raise DataError(f"BG/NBD: the fit did not converge ({result.message})")
        self.r_, self.alpha_, self.a_, self.b_ = (float(v) for v in np.exp(result.x))
        self.log_likelihood_ = float(_log_likelihood(self.params_, s).sum())
        self.converged_ = bool(result.success)
        self.n_customers_ = n
        return self

    @property
    def params_(self) -> np.ndarray:
        """(r, alpha, a, b) as an array; raises if the model has not been fitted."""
        if not hasattr(self, "r_"):
            raise SegkitError("BG/NBD: call fit() before predicting")
        return np.array([self.r_, self.alpha_, self.a_, self.b_])

    # ---- predictions ---------------------------------------------------------------------
    def prob_alive(self, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike) -> np.ndarray:
        """P(still active at T | history), FHL eq. 11; 1 for customers with no repeat purchase."""
        r, alpha, a, b = self.params_
        s = _summary(frequency, recency, T)
        return 1.0 / (1.0 + self._odds_dead(s, r, alpha, a, b))

    def expected_purchases(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """Expected number of purchases in the next ``t`` time units given history, FHL eq. 10."""
        from scipy.special import hyp2f1

        t = _horizon(t)
        r, alpha, a, b = self.params_
        s = _summary(frequency, recency, T)
        x = s.x
        # Eq. 10 divides by (a - 1); the expectation itself is smooth in a (the bracket goes
        # to 0 with it), so step off the removable singularity at a = 1.
        if abs(a - 1.0) < 1e-6:
            a = 1.0 + 1e-6
        z = t / (alpha + s.T + t)
        head = (a + b + x - 1) / (a - 1)
        none_factor = ((alpha + s.T) / (alpha + s.T + t)) ** (r + x)
        tail = 1.0 - none_factor * hyp2f1(r + x, b + x, a + b + x - 1, z)
        out = head * tail / (1.0 + self._odds_dead(s, r, alpha, a, b))
        if not np.all(np.isfinite(out)):
            raise SegkitError(
                "BG/NBD: expected purchases are not finite for some customers "
                "(rank by prob_any_purchase instead)"
            )
        return out

    def prob_any_purchase(
        self, t: float, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
    ) -> np.ndarray:
        """P(at least one purchase in the next ``t`` time units | history): the ranking score.

        Dropout happens only right after a purchase, so a customer alive at T makes no purchase
        in (T, T+t] exactly when the next Poisson event comes after t: ``exp(-lambda t)``. Given
        alive, lambda's posterior is Gamma(r + x, alpha + T), hence
        ``P = P(alive) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x))``.
        """
        t = _horizon(t)
        r, alpha, a, b = self.params_
        s = _summary(frequency, recency, T)
        none_if_alive = ((alpha + s.T) / (alpha + s.T + t)) ** (r + s.x)
        return (1.0 - none_if_alive) / (1.0 + self._odds_dead(s, r, alpha, a, b))

    @staticmethod
    def _odds_dead(s: _Summary, r: float, alpha: float, a: float, b: float) -> np.ndarray:
        """P(dead)/P(alive) given history; 0 for customers with no repeat purchase."""
        odds = np.zeros_like(s.x)
        repeat = s.x > 0
        xr = s.x[repeat]
        log_odds = (
            np.log(a) - np.log(b + xr - 1)
            + (r + xr) * (np.log(alpha + s.T[repeat]) - np.log(alpha + s.t_x[repeat]))
        )
        odds[repeat] = np.exp(np.minimum(log_odds, 700.0))
        return odds


def _horizon(t: float) -> float:
    try:
        value = float(t)
    except (TypeError, ValueError):
        raise SegkitError(f"BG/NBD: the horizon t must be a number, got {t!r}") from None
    if not np.isfinite(value) or value <= 0:
        raise SegkitError(f"BG/NBD: the horizon t must be a positive number, got {t!r}")
    return value
