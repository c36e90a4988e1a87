"""The result of a frequency-of-capture model: an :class:`~zicht.mse.result.MSEResult` whose
``fitted`` is by number of captures."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..result import MSEResult
from .data import NBCAP
from .fit import FrequencyFit


@dataclass
class FrequencyResult(MSEResult):
    """:class:`MSEResult` of a frequency-of-capture model: ``fitted`` is by number of captures."""

    @property
    def frequency_fit(self) -> FrequencyFit:
        """``fit``, as the frequency model it is."""
        assert isinstance(self.fit, FrequencyFit)
        return self.fit

    @property
    def fitted(self) -> pd.DataFrame:
        captures = self.frequency_fit.captures
        assert captures is not None
        return pd.DataFrame({NBCAP: captures.astype(int),
                             "observed": self.fit.y.astype(int), "fitted": self.fit.mu,
                             "in_fit": self.fit.rowmask})

    def summary(self) -> pd.DataFrame:
        out = super().summary()
        t = self.frequency_fit.t
        out = out.rename(index={"lists": "data"})
        out.loc["data", "value"] = (f"frequencies of capture, t = "
                                    f"{'inf' if math.isinf(t) else t}")
        return out

    def plot(self) -> Any:
        """Observed (points) and fitted (line) frequencies by number of captures (Altair)."""
        import altair as alt

        frame = self.fitted
        base = alt.Chart(frame).encode(x=alt.X(f"{NBCAP}:Q", title="number of captures c"))
        points = base.mark_circle(size=60).encode(
            y=alt.Y("observed:Q", title="units caught c times"),
            tooltip=[NBCAP, "observed", alt.Tooltip("fitted:Q", format=".2f")])
        line = base.mark_line(color="grey").encode(y="fitted:Q")
        title = f"{self.method}: observed and fitted frequencies (estimate {self.estimate:,.0f})"
        return (line + points).properties(title=title, width=420, height=300)
