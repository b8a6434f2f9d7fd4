/** Two small dependency-free SVG line charts (log-scale y): loop delay over time, latency vs transcript size. */

export interface Series {
  name: string;
  color: string;
  points: [number, number][];
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function lineChart(opts: { title: string; xLabel: string; yLabel: string; series: Series[]; markers?: boolean; yMin?: number }): string {
  const W = 760, H = 360, L = 70, Rm = 170, T = 40, B = 50;
  const pw = W - L - Rm, ph = H - T - B;
  const all = opts.series.flatMap((s) => s.points).filter(([, y]) => Number.isFinite(y));
  const xMax = Math.max(1e-9, ...all.map(([x]) => x));
  const xMin = Math.min(0, ...all.map(([x]) => x));
  const yMin = opts.yMin ?? 0.1;
  const yMax = Math.max(yMin * 10, ...all.map(([, y]) => y)) * 1.2;
  const lx = (x: number) => L + ((x - xMin) / (xMax - xMin || 1)) * pw;
  const ly = (y: number) => T + ph - ((Math.log10(Math.max(y, yMin)) - Math.log10(yMin)) / (Math.log10(yMax) - Math.log10(yMin))) * ph;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="22" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  for (let e = Math.floor(Math.log10(yMin)); e <= Math.ceil(Math.log10(yMax)); e++) {
    const v = 10 ** e;
    if (v < yMin || v > yMax) continue;
    const y = ly(v);
    out.push(`<line x1="${L}" x2="${L + pw}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end">${v >= 1000 ? `${v / 1000} s` : `${v} ms`}</text>`);
  }
  for (let i = 0; i <= 5; i++) {
    const v = xMin + ((xMax - xMin) * i) / 5;
    const x = lx(v);
    out.push(`<line x1="${x}" x2="${x}" y1="${T + ph}" y2="${T + ph + 4}" stroke="#333"/>`);
    out.push(`<text x="${x}" y="${T + ph + 18}" text-anchor="middle">${Math.round(v * 10) / 10}</text>`);
  }
  out.push(`<rect x="${L}" y="${T}" width="${pw}" height="${ph}" fill="none" stroke="#333"/>`);
  out.push(`<text x="${L + pw / 2}" y="${H - 10}" text-anchor="middle">${esc(opts.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${T + ph / 2}) rotate(-90)" text-anchor="middle">${esc(opts.yLabel)}</text>`);
  opts.series.forEach((s, i) => {
    const pts = s.points.filter(([, y]) => Number.isFinite(y));
    if (pts.length) {
      out.push(`<polyline fill="none" stroke="${s.color}" stroke-width="1.5" points="${pts.map(([x, y]) => `${lx(x).toFixed(1)},${ly(y).toFixed(1)}`).join(" ")}"/>`);
      if (opts.markers) for (const [x, y] of pts) out.push(`<circle cx="${lx(x).toFixed(1)}" cy="${ly(y).toFixed(1)}" r="3.5" fill="${s.color}"/>`);
    }
    const y = T + 14 + i * 20;
    out.push(`<rect x="${L + pw + 14}" y="${y - 9}" width="14" height="4" fill="${s.color}"/>`);
    out.push(`<text x="${L + pw + 34}" y="${y - 4}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n") + "\n";
}

/** Grouped horizontal bars (log-scale x), one group per metric, one bar per series (e.g. stock vs ctxc). */
export function groupedBarChart(opts: { title: string; unit: string; groups: { label: string; values: number[] }[]; series: { name: string; color: string }[] }): string {
  const W = 760, L = 260, Rm = 90, T = 44, bar = 14, gap = 12;
  const pw = W - L - Rm;
  const H = T + opts.groups.length * (opts.series.length * bar + gap) + 40;
  const all = opts.groups.flatMap((g) => g.values).filter((v) => Number.isFinite(v) && v > 0);
  const vMin = Math.max(1, 10 ** Math.floor(Math.log10(Math.min(...all, 10))));
  const vMax = 10 ** Math.ceil(Math.log10(Math.max(...all, vMin * 10)));
  const lx = (v: number) => L + ((Math.log10(Math.max(v, vMin)) - Math.log10(vMin)) / (Math.log10(vMax) - Math.log10(vMin))) * pw;
  const fmt = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)} s` : `${Math.round(v)} ms`);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">${esc(opts.title)}</text>`,
  ];
  for (let e = Math.log10(vMin); e <= Math.log10(vMax); e++) {
    const x = lx(10 ** e);
    out.push(`<line x1="${x}" x2="${x}" y1="${T - 6}" y2="${H - 34}" stroke="#ddd"/>`, `<text x="${x}" y="${H - 20}" text-anchor="middle">${fmt(10 ** e)}</text>`);
  }
  let y = T;
  for (const g of opts.groups) {
    out.push(`<text x="${L - 8}" y="${y + (opts.series.length * bar) / 2 + 4}" text-anchor="end">${esc(g.label)}</text>`);
    g.values.forEach((v, i) => {
      const s = opts.series[i]!;
      const w = Number.isFinite(v) ? Math.max(1, lx(v) - L) : 0;
      out.push(`<rect x="${L}" y="${y}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${s.color}"/>`);
      if (Number.isFinite(v)) out.push(`<text x="${(L + w + 4).toFixed(1)}" y="${y + bar - 4}">${fmt(v)}</text>`);
      y += bar;
    });
    y += gap;
  }
  opts.series.forEach((s, i) => {
    out.push(`<rect x="${W - Rm + 10}" y="${T + i * 20}" width="14" height="10" fill="${s.color}"/>`, `<text x="${W - Rm + 30}" y="${T + i * 20 + 9}">${esc(s.name)}</text>`);
  });
  out.push(`<text x="${L + pw / 2}" y="${H - 4}" text-anchor="middle">${esc(opts.unit)} (log scale)</text>`, "</svg>");
  return out.join("\n") + "\n";
}
