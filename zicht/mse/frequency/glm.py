"""R's ``glm.fit`` for the Poisson log link with an offset, step by step (Rcapture's numbers
depend on its iterations where the fit is hard)."""

from __future__ import annotations

import math

import numpy as np
import scipy.linalg

from ..errors import GlmError
from ..glm import poisson_deviance

R_MAXIT = 25  # glm.control()$maxit, which Rcapture 1.4-4 uses
_EPS = np.finfo(float).eps


_GlmError = GlmError  # the name it had before it joined zicht.mse.errors


def _glm_fit_r(X: np.ndarray, y: np.ndarray, offset: np.ndarray, maxit: int = R_MAXIT,
               eps: float = 1e-8
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray, float, bool, int, list[str]]:
    """R's ``glm.fit`` for the Poisson log link, step by step.

    Returns (beta, cov, mu, deviance, converged, iterations, warnings).  The covariance is
    ``summary.glm``'s: from the QR of the last weighted least-squares step (the weights of the
    previous iterate)."""
    n, p = X.shape
    warn: list[str] = []
    mu = y + 0.1
    eta = np.log(mu)
    devold = float(poisson_deviance(y, mu))
    beta = coefold = None
    R = None
    converged = False
    deficient = False
    it = 0
    for it in range(1, maxit + 1):
        z = (eta - offset) + (y - mu) / mu
        w = np.sqrt(mu)
        A = X * w[:, None]
        Q, R = np.linalg.qr(A)
        d = np.abs(np.diag(R))
        if (d <= 1e-11 * np.maximum(np.linalg.norm(A, axis=0), 1e-300)).any():
            deficient = True
            beta = np.linalg.lstsq(A, z * w, rcond=None)[0]
        else:
            beta = scipy.linalg.solve_triangular(R, Q.T @ (z * w))
        if not np.isfinite(beta).all():
            raise _GlmError(f"non-finite coefficients at iteration {it}")
        with np.errstate(over="ignore"):
            eta = X @ beta + offset
            mu = np.maximum(np.exp(eta), _EPS)
        dev = float(poisson_deviance(y, mu))
        if not math.isfinite(dev):
            if coefold is None:
                raise _GlmError("no valid set of coefficients has been found")
            for _ in range(maxit):
                beta = (beta + coefold) / 2
                with np.errstate(over="ignore"):
                    eta = X @ beta + offset
                    mu = np.maximum(np.exp(eta), _EPS)
                dev = float(poisson_deviance(y, mu))
                if math.isfinite(dev):
                    break
            else:
                raise _GlmError("inner loop 1; cannot correct step size")
        if abs(dev - devold) / (abs(dev) + 0.1) < eps:
            converged = True
            break
        devold, coefold = dev, beta
    if not converged:
        warn.append("glm.fit: algorithm did not converge")
    if (mu < 10 * _EPS).any():
        warn.append("glm.fit: fitted rates numerically 0 occurred")
    assert R is not None  # maxit >= 1: at least one step
    if deficient:
        warn.append("glm: design matrix not of full rank")
        cov = np.linalg.pinv(R.T @ R)
    else:
        Rinv = scipy.linalg.solve_triangular(R, np.eye(p))
        cov = Rinv @ Rinv.T
    assert beta is not None
    return beta, cov, mu, dev, converged, it, warn
