package main

import (
	"fmt"
	"html"
	"math"
	"os"
	"strings"
)

// The plot's width and each panel's margins, in SVG user units. The top
// margin holds the panel's title and legend, and grows with the legend's
// rows (legendRowH each) beyond two; the plot's height grows with it.
const (
	plotW      = 960.0
	plotH0     = 480.0 // the height with two rows of legend
	panelW     = plotW / 2
	marginL    = 70.0
	marginR    = 20.0
	marginT0   = 124.0 // the top margin with two rows of legend
	marginB    = 60.0
	legendL    = 30.0  // the legend's left edge, from the panel's
	legendW    = 215.0 // the width of a legend entry
	legendRowH = 16.0
)

// colors are the implementations' colours in the plot.
var colors = map[string]string{
	"pion": "#d95f02", "pathdtls": "#1f5fa8",
	"pion v4 DTLS 1.3": "#e7298a", "pathdtls DTLS 1.3": "#1b9e77",
	"raw UDP": "#7a7a7a",
}

// A series is one line of a panel.
type series struct {
	name   string
	color  string
	dashed bool
	pts    [][2]float64 // x, y in data units
}

// A panel is one chart: a title, axes and its lines.
type panel struct {
	title, xLabel, yLabel string
	left                  float64   // x of the panel's left edge
	top                   float64   // the top margin, above the plot area
	xTicks                []float64 // values marked on the x axis
	xMin, xMax            float64
	xLog                  bool
	series                []series
}

// writePlot writes an SVG with two panels: one-way records per second
// against record size for the three implementations, and handshakes per
// second against the number of concurrent clients for the DTLS ones.
func writePlot(name string, r *results) error {
	rp, hp := recordsPanel(r), handshakePanel(r)
	extra := legendRowH * float64(max(0, max(rp.legendRows(), hp.legendRows())-2))
	rp.top, hp.top = marginT0+extra, marginT0+extra
	plotH := plotH0 + extra
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		plotW, plotH, plotW, plotH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	m := r.Meta
	text(&b, plotW/2, 20, "middle", 15, fmt.Sprintf("%s on the loopback (pion/dtls %s, v4 %s)", strings.Join(m.Impls, ", "), m.Pion, m.PionV4))
	text(&b, plotW/2, 38, "middle", 11, fmt.Sprintf("%s %s/%s, %d CPUs; medians of the quiet rounds of %d, phases of %s; load average %s → %s; other processes %s",
		m.GoVersion, m.OS, m.Arch, m.NumCPU, m.Rounds, m.Phase, orDash(m.LoadBefore), orDash(m.LoadAfter), others(m.OthersCores)))
	rp.draw(&b, plotH)
	hp.draw(&b, plotH)
	b.WriteString("</svg>\n")
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	return nil
}

// recordsPanel is the panel of one-way records per second by record size.
func recordsPanel(r *results) panel {
	p := panel{title: "one-way records/s (one sender, one reader)", xLabel: "record size, bytes",
		yLabel: "records/s", left: 0, xMin: 0, xMax: 1500}
	for _, s := range r.Meta.Sizes {
		p.xTicks = append(p.xTicks, float64(s))
	}
	for _, col := range columns(r.Meta) {
		sr := series{name: col, color: colors[col]}
		for _, size := range r.Meta.Sizes {
			if v, ok := r.get(figRecords(size), col); ok {
				sr.pts = append(sr.pts, [2]float64{float64(size), v})
			}
		}
		p.series = append(p.series, sr)
	}
	return p
}

// handshakePanel is the panel of handshakes per second by concurrency,
// ECDHE-ECDSA solid and PSK dashed.
func handshakePanel(r *results) panel {
	cs := r.Meta.Concurrencies
	p := panel{title: "handshakes/s, short-lived clients", xLabel: "concurrent clients",
		yLabel: "handshakes/s", left: panelW, xLog: true}
	if len(cs) > 0 {
		p.xMin, p.xMax = float64(cs[0]), float64(cs[len(cs)-1])
	}
	for _, c := range cs {
		p.xTicks = append(p.xTicks, float64(c))
	}
	for _, col := range secureColumns(r.Meta) {
		for _, s := range suites {
			sr := series{name: col + " " + s.name, color: colors[col], dashed: s.psk}
			for _, c := range cs {
				if v, ok := r.get(figHandshakes(s, c), col); ok {
					sr.pts = append(sr.pts, [2]float64{float64(c), v})
				}
			}
			p.series = append(p.series, sr)
		}
	}
	return p
}

// legendRows returns how many rows the panel's legend takes.
func (p panel) legendRows() int {
	perRow := p.legendPerRow()
	return (len(p.series) + perRow - 1) / perRow
}

// legendPerRow returns how many legend entries fit in a row.
func (panel) legendPerRow() int { return max(1, int((panelW-legendL-marginR)/legendW)) }

// draw writes the panel's axes, ticks, lines and legend, in a plot of
// height plotH.
func (p panel) draw(b *strings.Builder, plotH float64) {
	x0, x1 := p.left+marginL, p.left+panelW-marginR
	y0, y1 := plotH-marginB, p.top // bottom and top of the plot area
	yMax := 0.0
	for _, s := range p.series {
		for _, pt := range s.pts {
			yMax = math.Max(yMax, pt[1])
		}
	}
	step := niceStep(yMax / 5)
	yTop := step * math.Ceil(yMax/step)
	if yTop == 0 {
		yTop = 1
	}
	px := func(x float64) float64 { return x0 + (x1-x0)*p.frac(x) }
	py := func(y float64) float64 { return y0 - (y0-y1)*y/yTop }
	text(b, (x0+x1)/2, p.top-60-legendRowH*float64(max(0, p.legendRows()-2)), "middle", 13, p.title)
	for y := 0.0; y <= yTop+step/2; y += step {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e4e4e4"/>`+"\n", x0, py(y), x1, py(y))
		text(b, x0-6, py(y)+4, "end", 11, tick(y))
	}
	for _, x := range p.xTicks {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#e4e4e4"/>`+"\n", px(x), y0, px(x), y1)
		text(b, px(x), y0+16, "middle", 11, fmt.Sprintf("%g", x))
	}
	fmt.Fprintf(b, `<path d="M%.1f %.1f H%.1f M%.1f %.1f V%.1f" stroke="black" fill="none"/>`+"\n", x0, y0, x1, x0, y0, y1)
	text(b, (x0+x1)/2, y0+40, "middle", 12, p.xLabel)
	fmt.Fprintf(b, `<text transform="translate(%.1f %.1f) rotate(-90)" text-anchor="middle" font-size="12">%s</text>`+"\n",
		p.left+16, (y0+y1)/2, html.EscapeString(p.yLabel))
	for _, s := range p.series {
		s.draw(b, px, py)
	}
	p.legend(b)
}

// legend writes the names of the panel's lines in rows between its title
// and its plot area.
func (p panel) legend(b *strings.Builder) {
	perRow := p.legendPerRow()
	first := p.top - 38 - legendRowH*float64(max(0, p.legendRows()-2))
	for i, s := range p.series {
		lx := p.left + legendL + legendW*float64(i%perRow)
		ly := first + legendRowH*float64(i/perRow)
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="6 4"`
		}
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"%s/>`+"\n",
			lx, ly-4, lx+24, ly-4, s.color, dash)
		text(b, lx+30, ly, "start", 11, s.name)
	}
}

// frac returns where x falls between the panel's xMin and xMax, from 0 to 1.
func (p panel) frac(x float64) float64 {
	if p.xLog {
		if p.xMax <= p.xMin {
			return 0.5
		}
		return math.Log(x/p.xMin) / math.Log(p.xMax/p.xMin)
	}
	return (x - p.xMin) / (p.xMax - p.xMin)
}

// draw writes the series as a line with a dot at each point.
func (s series) draw(b *strings.Builder, px, py func(float64) float64) {
	if len(s.pts) == 0 {
		return
	}
	var d strings.Builder
	for i, pt := range s.pts {
		cmd := "L"
		if i == 0 {
			cmd = "M"
		}
		fmt.Fprintf(&d, "%s%.1f %.1f ", cmd, px(pt[0]), py(pt[1]))
	}
	dash := ""
	if s.dashed {
		dash = ` stroke-dasharray="6 4"`
	}
	fmt.Fprintf(b, `<path d="%s" stroke="%s" stroke-width="2" fill="none"%s/>`+"\n", strings.TrimSpace(d.String()), s.color, dash)
	for _, pt := range s.pts {
		fmt.Fprintf(b, `<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s: %s</title></circle>`+"\n",
			px(pt[0]), py(pt[1]), s.color, html.EscapeString(s.name), rate(pt[1]))
	}
}

// tick formats a value on the y axis: 250k, 2000, 0.
func tick(v float64) string {
	if v >= 10000 {
		return fmt.Sprintf("%gk", v/1000)
	}
	return fmt.Sprintf("%g", v)
}

// text writes a text element at x, y.
func text(b *strings.Builder, x, y float64, anchor string, size int, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d">%s</text>`+"\n", x, y, anchor, size, html.EscapeString(s))
}

// niceStep returns the smallest of 1, 2 and 5 times a power of ten that is
// at least v, or 1 for v ≤ 0.
func niceStep(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}
