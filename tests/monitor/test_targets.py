"""Target status rules on hand-made series, and the targets file's validation."""

import pytest

from zicht.monitor.targets import Target, TargetsError, assess, load_targets


def at_least(target=0.5, deadline=2026, baseline=None):
    return Target(1, "complaint_filed", target, "at_least", deadline, baseline)


def test_met_is_on_track():
    s = assess(at_least(), {2022: 0.3, 2023: 0.55}, today=2024)
    assert s.status == "on track" and s.latest_year == 2023 and s.latest == 0.55
    assert "gehaald" in s.reason_nl and "met" in s.reason_en


def test_trend_reaching_the_target_by_the_deadline_is_on_track():
    # 0.30, 0.35, 0.40 -> +0.05 a year -> 0.55 in 2026
    s = assess(at_least(), {2021: 0.30, 2022: 0.35, 2023: 0.40}, today=2024)
    assert s.status == "on track"
    assert s.projected == pytest.approx(0.55)
    # a share reads as a percentage, its trend in percentage points, Dutch with a comma
    assert "2023: 40.0%, target at least 50.0% by 2026" in s.reason_en
    assert "+5.00 percentage points a year, 55.0% expected by 2026" in s.reason_en
    assert "+5,00 procentpunt per jaar, 55,0% verwacht in 2026" in s.reason_nl


def test_too_slow_is_at_risk():
    # +0.01 a year from 0.40 in 2023 -> 0.43 in 2026 < 0.5
    s = assess(at_least(), {2021: 0.38, 2022: 0.39, 2023: 0.40}, today=2024)
    assert s.status == "at risk"
    assert s.projected == pytest.approx(0.43)
    assert "too slowly" in s.reason_en and "te langzaam" in s.reason_nl


def test_moving_away_or_flat_is_off_track():
    assert assess(at_least(), {2021: 0.4, 2022: 0.35, 2023: 0.3}, today=2024).status == \
        "off track"
    assert assess(at_least(), {2021: 0.4, 2022: 0.4}, today=2024).status == "off track"


def test_at_most_reverses_the_direction():
    t = Target(3, "dutch_minors_domestic_sexual", 100, "at_most", 2026)
    assert assess(t, {2022: 140, 2023: 120, 2024: 100}, today=2025).status == "on track"
    assert assess(t, {2022: 140, 2023: 130, 2024: 120}, today=2025).status == "on track"
    assert assess(t, {2022: 140, 2023: 138, 2024: 136}, today=2025).status == "at risk"
    assert assess(t, {2022: 120, 2023: 130}, today=2025).status == "off track"
    s = assess(t, {2022: 1400, 2023: 1380, 2024: 1360}, today=2025)
    assert ("2024: 1,360, target at most 100 by 2026; trend line 1,360 in 2024, -20.00 a year, "
            "1,320 expected") in s.reason_en
    assert "2024: 1.360, doel hoogstens 100 in 2026; trendlijn 1.360 in 2024, -20,00 per jaar" \
        in s.reason_nl


def test_deadline_passed_without_meeting_it():
    s = assess(at_least(deadline=2023), {2021: 0.30, 2022: 0.45}, today=2024)
    assert s.status == "off track" and "deadline has passed" in s.reason_en


def test_baseline_year_limits_the_trend():
    values = {2018: 0.9, 2019: 0.1, 2021: 0.30, 2022: 0.35, 2023: 0.40}
    assert assess(at_least(baseline=2021), values, today=2024).status == "on track"
    assert assess(at_least(), values, today=2024).status != "on track"


def test_no_data_and_one_year():
    assert assess(at_least(), {}, today=2024).status == "no data"
    assert assess(at_least(), {2023: float("nan")}, today=2024).status == "no data"
    s = assess(at_least(), {2023: 0.3}, today=2024)
    assert s.status == "off track" and "one year" in s.reason_en


def test_the_shipped_example_file_is_valid():
    lines = load_targets()
    assert [line.line for line in lines] == [1, 2, 3, 4, 5]
    assert all(line.name_nl and line.name_en for line in lines)
    assert sum(len(line.targets) for line in lines) >= 5


@pytest.mark.parametrize("text, where", [
    ("lines: 3", "list 'lines'"),
    ("lines:\n  - line: 1\n    name_nl: a\n", "name_en"),
    ("lines:\n  - {line: 1, name_nl: a, name_en: b}\n  - {line: 1, name_nl: c, name_en: d}\n",
     "appears twice"),
    ("lines:\n  - line: 1\n    name_nl: a\n    name_en: b\n    targets:\n"
     "      - {indicator: nope, target: 1, deadline: 2026}\n", "unknown indicator 'nope'"),
    ("lines:\n  - line: 1\n    name_nl: a\n    name_en: b\n    targets:\n"
     "      - {indicator: overlap, target: high, deadline: 2026}\n", "expected a number"),
    ("lines:\n  - line: 1\n    name_nl: a\n    name_en: b\n    targets:\n"
     "      - {indicator: overlap, target: 1, direction: up, deadline: 2026}\n", "direction"),
    ("lines:\n  - line: 1\n    name_nl: a\n    name_en: b\n    targets:\n"
     "      - {indicator: overlap, target: 1, deadline: 2026, baseline_year: 2030}\n",
     "before the deadline"),
    ("lines: [\n", "not valid YAML"),
])
def test_bad_files_are_refused_with_the_place(tmp_path, text, where):
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    with pytest.raises(TargetsError, match=where.replace("(", r"\(")):
        load_targets(path)


def test_evaluate_on_monitor_data():
    from tests.monitor.test_indicators import ESTIMATES, PERSONS, REPORT_PERSONS, REPORTS
    from zicht.monitor.inputs import MonitorData
    from zicht.monitor.targets import Line, evaluate

    data = MonitorData(REPORTS, PERSONS, REPORT_PERSONS, ESTIMATES)
    labour = Target(2, "registered_persons", 2, "at_least", 2026, None, (("form", "labour"),))
    minors = Target(3, "minors", 0.2, "at_most", 2026)
    (s1, s2) = evaluate([Line(2, "a", "b", (labour, minors))], data, today=2025)
    assert s1.values == {2023: 2.0, 2024: 2.0} and s1.status == "on track"  # P1, P3 both years
    # minors 1/3 -> 1/4: falling 0.083 a year, 0.0 expected by 2026 <= 0.2
    assert s2.status == "on track" and s2.projected == pytest.approx(0.25 - 2 / 12)


def test_where_must_name_a_breakdown_of_the_indicator(tmp_path):
    path = tmp_path / "t.yaml"
    path.write_text("lines:\n  - line: 1\n    name_nl: a\n    name_en: b\n    targets:\n"
                    "      - {indicator: completeness, target: 1, deadline: 2026,"
                    " where: {sex: F}}\n")
    with pytest.raises(TargetsError, match="no breakdown 'sex'"):
        load_targets(path)


def test_one_line_gives_trend_projection_and_verdict():
    """A noisy last year above a flat line (issue 18: "23.4% ... +0.02 percentage points a
    year, 17.4% expected ... on track"): the words give the line's level, and a line within an
    at-most target that does not move towards it is not called moving the right way."""
    at_most = Target(1, "complaint_filed", 0.20, "at_most", 2026, None)
    s = assess(at_most, {2017: 0.19, 2018: 0.17, 2019: 0.15, 2020: 0.14, 2021: 0.13,
                         2022: 0.14, 2023: 0.234}, today=2024)
    assert s.status == "on track" and s.latest == pytest.approx(0.234)
    assert s.projected == pytest.approx(0.176)  # the line, rising 0.19 points a year
    assert "2023: 23.4%" in s.reason_en and "trend line 17.0% in 2023" in s.reason_en
    assert "17.6% expected by 2026" in s.reason_en
    assert "flat or moving away" in s.reason_en and "beweegt ervan af" in s.reason_nl


@pytest.mark.parametrize("direction", ["at_least", "at_most"])
@pytest.mark.parametrize("seed", range(40))
def test_sign_projection_and_verdict_agree(direction, seed):
    import numpy as np

    rng = np.random.default_rng(seed)
    years = range(2018, 2018 + int(rng.integers(2, 7)))
    values = {y: float(v) for y, v in zip(years, rng.uniform(0.05, 0.6, len(years)),
                                          strict=True)}
    target = Target(1, "complaint_filed", float(rng.uniform(0.1, 0.5)), direction, 2026, None)
    s = assess(target, values, today=2024)
    sign = 1 if direction == "at_least" else -1
    if sign * (s.latest - target.target) >= 0:
        assert s.status == "on track" and "met" in s.reason_en
        return
    fitted = np.polyfit(list(values), list(values.values()), 1)
    now = np.polyval(fitted, s.latest_year)
    slope = fitted[0]
    # the projection lies on the line: it is above the line's level now exactly when the
    # line rises
    assert np.sign(s.projected - now) == np.sign(slope)
    towards = sign * slope > 0
    meets = sign * (s.projected - target.target) >= 0
    assert s.status == ("on track" if meets else "at risk" if towards else "off track")
    said_towards = "moving towards it" in s.reason_en
    assert said_towards == (s.status == "at risk")
    assert ("flat or moving away" in s.reason_en) == (not towards)
