"""The compatibility matrix over many nights: which dongle with which firmware passes which test.

Input: a folder of nights, one sub-folder per run holding its ``allure-results/`` (or the results
themselves), in name order (name them by date: ``2026-12-04``). Output: ``matrix.json`` and
``matrix.html``, one page that opens from disk with no script and no network:
  - one row per dongle model and firmware (the results' ``model`` and ``firmware`` labels), one
    column per suite test (its function, over slots), each cell the latest verdict, a link to
    that night's HTML report where there is one, and a strip of the last nights' verdicts;
  - a flag on a row whose model changed firmware since the previous night;
  - trend plots per model of enumeration, re-enumeration (switch) and attach time, night by
    night, as inline SVG (a few polylines: no plotting library needed for them).
"""
from __future__ import annotations

import html
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERDICT_COLOURS = {"passed": "#2e7d32", "failed": "#c62828", "broken": "#ef6c00", "skipped": "#9e9e9e"}
#: trend plot -> the measurement names that feed it (the suites' own)
TRENDS = {"enumeration": ("enumeration time",), "switch": ("re-enumeration time",),
          "attach": ("time to attach",), "throughput": ("throughput",), "round trip": ("round trip",)}
#: each plot's unit (what the suites measure it in)
UNITS = {"throughput": "kbit/s", "round trip": "ms"}


@dataclass
class Night:
    name: str
    results: Path
    report: Path | None
    cells: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)   # (row, test) -> cell
    firmware: dict[str, str] = field(default_factory=dict)                       # model -> firmware
    times: dict[tuple[str, str], list[float]] = field(default_factory=dict)       # (model, trend) -> values


def _results_dir(night: Path) -> Path:
    return night / "allure-results" if (night / "allure-results").is_dir() else night


def read_night(folder: Path) -> Night:
    results = _results_dir(folder)
    index = folder / "allure-report" / "index.html"
    night = Night(folder.name, results, index if index.is_file() else None)
    models: dict[str, str] = {}   # slot -> its dongle's model, for the measurement lines
    for path in sorted(results.glob("*-result.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        labels = {item.get("name"): item.get("value", "") for item in data.get("labels", [])}
        if not labels.get("model"):
            continue   # a test no dongle took part in (skipped before its fixture): no row of its own
        model = f"{labels.get('vendor', '?')} {labels['model']}"
        if labels.get("slot"):
            models[labels["slot"]] = model
        test = data.get("name", "?").split("[")[0]
        night.cells[(model, test)] = {"status": data.get("status", "unknown"),
                                      "message": (data.get("statusDetails") or {}).get("message", "")[:300]}
        if labels.get("firmware"):
            night.firmware[model] = labels["firmware"]
    lines = results / "hilkit-measurements.jsonl"
    if lines.is_file():
        for line in lines.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            model = models.get(record.get("slot", ""), record.get("profile", "?"))
            for trend, names in TRENDS.items():
                if any(str(record.get("name", "")).startswith(n) for n in names):
                    night.times.setdefault((model, trend), []).append(float(record["value"]))
    return night


def build(nights_folder: Path, last: int = 14) -> dict[str, Any]:
    """The matrix as data (what matrix.json holds)."""
    if not nights_folder.is_dir():
        raise ValueError(f"{nights_folder}: no such folder (expected one sub-folder per night)")
    nights = [read_night(p) for p in sorted(nights_folder.iterdir()) if p.is_dir() and any(_results_dir(p).glob(
        "*-result.json"))]
    if not nights:
        raise ValueError(f"{nights_folder}: no nights (sub-folders with allure-results) found")
    # a night whose runs never reached the modem (a failed switch) did not learn its firmware: the
    # stick is the one of the night before until a night says otherwise
    known: dict[str, str] = {}
    assumed: dict[tuple[str, str], bool] = {}
    for night in nights:
        for model in {m for m, _ in night.cells}:
            if model not in night.firmware:
                night.firmware[model] = known.get(model, "unknown firmware")
                assumed[(night.name, model)] = model in known
        known.update(night.firmware)
        night.cells = {(f"{m} | {night.firmware[m]}", t): {**c, "firmware_assumed": assumed.get((night.name, m), False)}
                       for (m, t), c in night.cells.items()}
    tests = sorted({test for night in nights for _, test in night.cells})
    rows = sorted({row for night in nights for row, _ in night.cells})
    latest, previous = nights[-1], nights[-2] if len(nights) > 1 else None
    matrix_rows = []
    for row in rows:
        model, firmware = row.split(" | ", 1)
        cells = {}
        for test in tests:
            history = [(n.name, n.cells.get((row, test), {}).get("status", "")) for n in nights[-last:]]
            newest = next(((n, n.cells[(row, test)]) for n in reversed(nights) if (row, test) in n.cells), None)
            if newest is None:
                continue
            night, cell = newest
            cells[test] = {"status": cell["status"], "night": night.name, "message": cell["message"],
                           "firmware_assumed": bool(cell.get("firmware_assumed")),
                           "report": str(night.report.relative_to(nights_folder)) if night.report else "",
                           "history": history}
        changed = previous is not None and model in latest.firmware and model in previous.firmware and \
            latest.firmware[model] != previous.firmware[model] and latest.firmware[model] == firmware
        matrix_rows.append({"model": model, "firmware": firmware, "cells": cells,
                            "firmware_changed": (f"{previous.firmware[model]} -> {firmware}"
                                                 if changed and previous is not None else "")})
    trends: dict[str, dict[str, list[float | None]]] = defaultdict(dict)
    for model in sorted({m for n in nights for m, _ in n.times}):
        for trend in TRENDS:
            values = [n.times.get((model, trend)) for n in nights]
            trends[model][trend] = [sum(v) / len(v) if v else None for v in values]
    return {"nights": [n.name for n in nights], "tests": tests, "rows": matrix_rows, "trends": trends}


def _strip(history: list[tuple[str, str]]) -> str:
    boxes = "".join(f'<rect x="{i * 9}" y="0" width="8" height="12" fill="{VERDICT_COLOURS.get(s, "#eeeeee")}">'
                    f"<title>{html.escape(n)}: {html.escape(s or 'not run')}</title></rect>"
                    for i, (n, s) in enumerate(history))
    return f'<svg width="{9 * len(history)}" height="12" class="strip">{boxes}</svg>'


def _plot(title: str, nights: list[str], values: list[float | None], unit: str = "s") -> str:
    width, height, pad = 320, 120, 28
    known = [v for v in values if v is not None]
    if not known:
        return ""
    top = max(known) * 1.15 or 1.0
    step = (width - 2 * pad) / max(1, len(nights) - 1)
    points = [(pad + i * step, height - pad - (v / top) * (height - 2 * pad)) for i, v in enumerate(values)
              if v is not None]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3"/>' for x, y in points)
    labels = "".join(f'<text x="{pad + i * step:.1f}" y="{height - 8}" font-size="9" text-anchor="middle">'
                     f"{html.escape(n[-5:])}</text>" for i, n in enumerate(nights))
    return (f'<figure><figcaption><span>{html.escape(title)}</span> ({html.escape(unit)}, mean per night; '
            f'max {max(known):.3f})</figcaption>'
            f'<svg width="{width}" height="{height}" class="trend"><polyline fill="none" stroke="#1565c0" '
            f'stroke-width="2" points="{line}"/>{dots}{labels}</svg></figure>')


def render_html(data: dict[str, Any]) -> str:
    """One static page: the matrix table and the trend plots (inline SVG, no script)."""
    head = "".join(f"<th>{html.escape(t)}</th>" for t in data["tests"])
    body = []
    for row in data["rows"]:
        flag = (f'<div class="changed">firmware changed: {html.escape(row["firmware_changed"])}</div>'
                if row["firmware_changed"] else "")
        cells = []
        for test in data["tests"]:
            cell = row["cells"].get(test)
            if cell is None:
                cells.append("<td></td>")
                continue
            verdict = html.escape(cell["status"])
            link = f'<a href="{html.escape(cell["report"])}">{verdict}</a>' if cell["report"] else \
                f"<span>{verdict}</span>"
            assumed = " (firmware not read that night: the previous one&#39;s)" if cell["firmware_assumed"] else ""
            cells.append(f'<td class="{verdict}" title="{html.escape(cell["message"])}">{link}'
                         f'<div class="night">{html.escape(cell["night"])}{assumed}</div>'
                         f'{_strip(cell["history"])}</td>')
        body.append(f'<tr><th class="row">{html.escape(row["model"])}<div class="fw">firmware '
                    f'{html.escape(row["firmware"])}</div>{flag}</th>{"".join(cells)}</tr>')
    plots = []
    for model, trends in data["trends"].items():
        figures = "".join(_plot(f"{model}: {trend}" + ("" if trend in UNITS else " time"), data["nights"], values,
                                UNITS.get(trend, "s")) for trend, values in trends.items())
        if figures:
            plots.append(f'<section class="model"><h3>{html.escape(model)}</h3>{figures}</section>')
    style = ("body{font-family:sans-serif;margin:1.5em}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:4px 6px;vertical-align:top;font-size:13px}td.passed a,td.passed{color:#2e7d32}"
             "td.failed a,td.failed{color:#c62828;font-weight:bold}td.broken a,td.broken{color:#ef6c00;"
             "font-weight:bold}.night,.fw{font-size:11px;color:#555}.changed{color:#fff;background:#6a1b9a;"
             "padding:1px 4px;margin-top:3px;font-size:11px}figure{display:inline-block;margin:0 1em 1em 0}"
             "figcaption{font-size:12px}")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>hilkit compatibility matrix</title>"
            f"<style>{style}</style></head><body><h1>hilkit compatibility matrix</h1>"
            f"<p>{len(data['nights'])} nights: {html.escape(', '.join(data['nights']))}</p>"
            f"<table><tr><th>dongle / firmware</th>{head}</tr>{''.join(body)}</table>"
            f"<h2>Trends</h2>{''.join(plots)}</body></html>")


def write_matrix(nights_folder: Path, out: Path, last: int = 14) -> tuple[Path, Path]:
    data = build(nights_folder, last)
    out.mkdir(parents=True, exist_ok=True)
    (out / "matrix.json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    (out / "matrix.html").write_text(render_html(data), encoding="utf-8")
    return out / "matrix.html", out / "matrix.json"
