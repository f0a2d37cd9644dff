//! Hand-written inline SVG charts: horizontal bars (one or several series, with an optional
//! band such as the four-fifths zone), dot plots with interval whiskers, histograms and a
//! heatmap.
//!
//! Every chart is an `<svg>` with a `<title>` and `<desc>` for screen readers, a `<title>` on
//! every mark, the number written beside every bar or dot, and colours from the Okabe–Ito
//! palette (distinguishable with the common colour-vision deficiencies); series also differ
//! by marker shape. Marks carry `class`, `data-label` and `data-value` attributes so tests can
//! read the figures back. Coordinates are written with fixed decimals, so the same figures
//! always give the same bytes.

use std::fmt::Write;

use super::{esc, num};

/// The Okabe–Ito palette, in the order series use it: blue, orange, bluish green,
/// vermillion, reddish purple, sky blue, yellow, black.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
];

/// Width of every chart, in SVG user units (the page scales it to fit).
const WIDTH: f64 = 860.0;
/// Width of the label column on the left of bar charts and dot plots.
const LABEL_W: f64 = 230.0;
/// Width kept on the right for the numbers.
const VALUE_W: f64 = 150.0;

/// One series of a bar chart or dot plot: a name for the legend and one value per category
/// (`None`: no value for that category).
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend name (e.g. `before`, `real`).
    pub name: String,
    /// One value per category.
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// A series from its name and values.
    pub fn new(name: impl Into<String>, values: Vec<Option<f64>>) -> Series {
        Series {
            name: name.into(),
            values,
        }
    }
}

/// A shaded interval drawn behind the bars or dots, e.g. the four-fifths band.
#[derive(Debug, Clone)]
pub struct Band {
    /// Lower end, in data units.
    pub lo: f64,
    /// Upper end.
    pub hi: f64,
    /// What it means (shown in the legend and its `<title>`).
    pub label: String,
}

/// Options shared by the bar chart and the dot plot.
#[derive(Debug, Clone)]
pub struct Axis {
    /// Largest value of the axis (the smallest is 0).
    pub max: f64,
    /// Decimals of the numbers written beside the marks.
    pub decimals: usize,
    /// Show values as percentages (×100, with a `%` sign).
    pub percent: bool,
}

impl Axis {
    /// An axis from 0 to `max` with `decimals` decimals.
    pub fn new(max: f64, decimals: usize) -> Axis {
        Axis {
            max: if max.is_finite() && max > 0.0 {
                max
            } else {
                1.0
            },
            decimals,
            percent: false,
        }
    }

    /// The same axis with values shown as percentages.
    pub fn percent(mut self) -> Axis {
        self.percent = true;
        self
    }

    /// A tick's number: the axis decimals, or more when the tick falls between them.
    fn tick(&self, v: f64) -> String {
        let scaled = if self.percent { 100.0 * v } else { v };
        let mut d = self.decimals;
        while d < 4
            && ((scaled * 10f64.powi(d as i32)).round() - scaled * 10f64.powi(d as i32)).abs()
                > 1e-9
        {
            d += 1;
        }
        let t = Axis {
            decimals: d,
            ..self.clone()
        };
        t.text(v)
    }

    fn text(&self, v: f64) -> String {
        if self.percent {
            format!("{}%", num(100.0 * v, self.decimals))
        } else {
            num(v, self.decimals)
        }
    }
}

fn open(out: &mut String, id: &str, title: &str, desc: &str, height: f64) {
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"{id}\" role=\"img\" \
         aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\">\
         <title id=\"{id}-t\">{t}</title><desc id=\"{id}-d\">{d}</desc>",
        id = esc(id),
        w = f(WIDTH),
        h = f(height),
        t = esc(title),
        d = esc(desc),
    );
}

/// A coordinate with one decimal.
fn f(x: f64) -> String {
    format!("{x:.1}")
}

/// The legend row: one swatch (in the series' marker shape) per series, and the band.
fn legend(out: &mut String, names: &[&str], dots: bool, band: Option<&Band>) {
    let mut x = LABEL_W;
    for (i, name) in names.iter().enumerate() {
        marker(out, i, x + 6.0, 12.0, dots, "legend", "");
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"16\" class=\"legend\">{}</text>",
            f(x + 16.0),
            esc(name)
        );
        x += 24.0 + 7.5 * name.chars().count() as f64;
    }
    if let Some(b) = band {
        let _ = write!(
            out,
            "<rect x=\"{}\" y=\"6\" width=\"12\" height=\"12\" fill=\"#DDDDDD\"/><text x=\"{}\" y=\"16\" class=\"legend\">{}</text>",
            f(x),
            f(x + 16.0),
            esc(&b.label)
        );
    }
}

/// A series marker: a shape per series index (ring, square, diamond, triangle).
fn marker(out: &mut String, series: usize, cx: f64, cy: f64, dots: bool, class: &str, tip: &str) {
    let colour = PALETTE[series % PALETTE.len()];
    let title = if tip.is_empty() {
        String::new()
    } else {
        format!("<title>{}</title>", esc(tip))
    };
    if !dots {
        let _ = write!(
            out,
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"12\" height=\"12\" fill=\"{colour}\">{title}</rect>",
            f(cx - 6.0),
            f(cy - 6.0)
        );
        return;
    }
    let _ = match series % 4 {
        // A ring, so a marker of another series at the same value shows inside it.
        0 => write!(
            out,
            "<circle class=\"{class}\" cx=\"{}\" cy=\"{}\" r=\"6.5\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2.5\">{title}</circle>",
            f(cx),
            f(cy)
        ),
        1 => write!(
            out,
            "<rect class=\"{class}\" x=\"{}\" y=\"{}\" width=\"10\" height=\"10\" fill=\"{colour}\">{title}</rect>",
            f(cx - 5.0),
            f(cy - 5.0)
        ),
        2 => write!(
            out,
            "<polygon class=\"{class}\" points=\"{},{} {},{} {},{} {},{}\" fill=\"{colour}\">{title}</polygon>",
            f(cx),
            f(cy - 6.5),
            f(cx + 6.5),
            f(cy),
            f(cx),
            f(cy + 6.5),
            f(cx - 6.5),
            f(cy)
        ),
        _ => write!(
            out,
            "<polygon class=\"{class}\" points=\"{},{} {},{} {},{}\" fill=\"{colour}\">{title}</polygon>",
            f(cx),
            f(cy - 6.5),
            f(cx + 6.0),
            f(cy + 5.0),
            f(cx - 6.0),
            f(cy + 5.0)
        ),
    };
}

/// Vertical grid lines and their numbers at 0, ¼, ½, ¾ and 1 of the axis.
fn grid(out: &mut String, axis: &Axis, top: f64, bottom: f64) {
    let plot_w = WIDTH - LABEL_W - VALUE_W;
    for q in 0..=4 {
        let v = axis.max * q as f64 / 4.0;
        let x = LABEL_W + plot_w * q as f64 / 4.0;
        let _ = write!(
            out,
            "<line x1=\"{x}\" y1=\"{t}\" x2=\"{x}\" y2=\"{b}\" class=\"grid\"/><text x=\"{x}\" y=\"{ty}\" class=\"tick\" text-anchor=\"middle\">{v}</text>",
            x = f(x),
            t = f(top),
            b = f(bottom),
            ty = f(bottom + 14.0),
            v = axis.tick(v)
        );
    }
}

fn band_rect(out: &mut String, axis: &Axis, band: Option<&Band>, top: f64, bottom: f64) {
    if let Some(b) = band {
        let plot_w = WIDTH - LABEL_W - VALUE_W;
        let x0 = LABEL_W + plot_w * (b.lo / axis.max).clamp(0.0, 1.0);
        let x1 = LABEL_W + plot_w * (b.hi / axis.max).clamp(0.0, 1.0);
        let _ = write!(
            out,
            "<rect class=\"band\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#DDDDDD\"><title>{}</title></rect>",
            f(x0),
            f(top),
            f((x1 - x0).max(0.0)),
            f(bottom - top),
            esc(&b.label)
        );
    }
}

/// Horizontal bars: one row per category, one bar per series, the number beside each bar.
///
/// Each bar is `<rect class="bar" data-label="CATEGORY" data-series="SERIES"
/// data-value="…">` and its number `<text class="value">`.
pub fn bars(
    id: &str,
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[Series],
    axis: &Axis,
    band: Option<&Band>,
) -> String {
    let bar_h = 14.0;
    let row_h = bar_h * series.len().max(1) as f64 + 10.0;
    let top = 30.0;
    let bottom = top + row_h * categories.len() as f64;
    let mut out = String::new();
    open(&mut out, id, title, desc, bottom + 24.0);
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    legend(&mut out, &names, false, band);
    band_rect(&mut out, axis, band, top, bottom);
    grid(&mut out, axis, top, bottom);
    let plot_w = WIDTH - LABEL_W - VALUE_W;
    for (c, cat) in categories.iter().enumerate() {
        let y0 = top + row_h * c as f64 + 5.0;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"end\">{}</text>",
            f(LABEL_W - 8.0),
            f(y0 + row_h / 2.0),
            esc(&short(cat, 31))
        );
        for (s, ser) in series.iter().enumerate() {
            let Some(v) = ser.values.get(c).copied().flatten() else {
                continue;
            };
            let y = y0 + bar_h * s as f64;
            let w = plot_w * (v / axis.max).clamp(0.0, 1.0);
            let text = axis.text(v);
            let _ = write!(
                out,
                "<rect class=\"bar\" data-label=\"{l}\" data-series=\"{sn}\" data-value=\"{dv}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{c}\"><title>{l}, {sn}: {text}</title></rect>\
                 <text class=\"value\" x=\"{tx}\" y=\"{ty}\">{text}</text>",
                l = esc(cat),
                sn = esc(&ser.name),
                dv = v,
                x = f(LABEL_W),
                y = f(y),
                w = f(w),
                h = f(bar_h - 2.0),
                c = PALETTE[s % PALETTE.len()],
                tx = f(LABEL_W + w + 4.0),
                ty = f(y + bar_h - 4.0),
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A dot plot: one row per category, one marker per series (shapes differ by series), an
/// optional whisker per category (e.g. a confidence interval), and the numbers of every
/// series written at the right.
///
/// Each marker is `class="dot"` with `data-label`, `data-series` and `data-value`.
#[allow(clippy::too_many_arguments)]
pub fn dots(
    id: &str,
    title: &str,
    desc: &str,
    categories: &[String],
    series: &[Series],
    whiskers: Option<&[Option<(f64, f64)>]>,
    axis: &Axis,
    band: Option<&Band>,
) -> String {
    let row_h = 22.0;
    let top = 30.0;
    let bottom = top + row_h * categories.len() as f64;
    let mut out = String::new();
    open(&mut out, id, title, desc, bottom + 24.0);
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    legend(&mut out, &names, true, band);
    band_rect(&mut out, axis, band, top, bottom);
    grid(&mut out, axis, top, bottom);
    let plot_w = WIDTH - LABEL_W - VALUE_W;
    let x_of = |v: f64| LABEL_W + plot_w * (v / axis.max).clamp(0.0, 1.0);
    for (c, cat) in categories.iter().enumerate() {
        let y = top + row_h * c as f64 + row_h / 2.0;
        let _ = write!(
            out,
            "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" class=\"row\"/><text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"end\">{}</text>",
            f(LABEL_W),
            f(WIDTH - VALUE_W),
            f(LABEL_W - 8.0),
            f(y + 4.0),
            esc(&short(cat, 31)),
            y = f(y),
        );
        if let Some((lo, hi)) = whiskers.and_then(|w| w.get(c).copied().flatten()) {
            let _ = write!(
                out,
                "<line class=\"whisker\" data-label=\"{l}\" data-lo=\"{lo}\" data-hi=\"{hi}\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"><title>{l}: interval {} to {}</title></line>",
                f(x_of(lo)),
                f(x_of(hi)),
                axis.text(lo),
                axis.text(hi),
                l = esc(cat),
                y = f(y),
            );
        }
        let mut texts = Vec::new();
        for (s, ser) in series.iter().enumerate() {
            let Some(v) = ser.values.get(c).copied().flatten() else {
                continue;
            };
            let text = axis.text(v);
            let mut m = String::new();
            marker(
                &mut m,
                s,
                x_of(v),
                y,
                true,
                "dot",
                &format!("{cat}, {}: {text}", ser.name),
            );
            // The data attributes go right after the element name.
            let at = m.find(' ').unwrap_or(0);
            m.insert_str(
                at,
                &format!(
                    " data-label=\"{}\" data-series=\"{}\" data-value=\"{v}\"",
                    esc(cat),
                    esc(&ser.name)
                ),
            );
            out.push_str(&m);
            texts.push(text);
        }
        let _ = write!(
            out,
            "<text class=\"value\" x=\"{}\" y=\"{}\">{}</text>",
            f(WIDTH - VALUE_W + 8.0),
            f(y + 4.0),
            esc(&texts.join(" · "))
        );
    }
    out.push_str("</svg>");
    out
}

/// A histogram: bins along the x axis (their edges written below), one bar per series in
/// each bin (counts or shares), the number above every bar.
///
/// Each bar is `class="bar"` with `data-label` (the bin), `data-series` and `data-value`.
pub fn histogram(
    id: &str,
    title: &str,
    desc: &str,
    bins: &[String],
    series: &[Series],
    decimals: usize,
) -> String {
    let top = 34.0;
    let plot_h = 180.0;
    let bottom = top + plot_h;
    let left = 40.0;
    let plot_w = WIDTH - left - 20.0;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .fold(0.0f64, |a, b| a.max(*b));
    let max = if max > 0.0 { max } else { 1.0 };
    let mut out = String::new();
    open(&mut out, id, title, desc, bottom + 52.0);
    let names: Vec<&str> = series.iter().map(|s| s.name.as_str()).collect();
    // The legend starts at the left edge for histograms.
    let mut x = left;
    for (i, name) in names.iter().enumerate() {
        marker(&mut out, i, x + 6.0, 12.0, false, "legend", "");
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"16\" class=\"legend\">{}</text>",
            f(x + 16.0),
            esc(name)
        );
        x += 24.0 + 7.5 * name.chars().count() as f64;
    }
    let _ = write!(
        out,
        "<line x1=\"{}\" y1=\"{b}\" x2=\"{}\" y2=\"{b}\" class=\"axis\"/>",
        f(left),
        f(left + plot_w),
        b = f(bottom)
    );
    let slot = plot_w / bins.len().max(1) as f64;
    let bar_w = (slot - 4.0) / series.len().max(1) as f64;
    let small = bins.len() * series.len() > 24;
    for (b, bin) in bins.iter().enumerate() {
        let x0 = left + slot * b as f64 + 2.0;
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" class=\"tick\" text-anchor=\"end\" transform=\"rotate(-35 {} {})\">{}</text>",
            f(x0 + slot / 2.0),
            f(bottom + 14.0),
            f(x0 + slot / 2.0),
            f(bottom + 14.0),
            esc(&short(bin, 16))
        );
        for (s, ser) in series.iter().enumerate() {
            let Some(v) = ser.values.get(b).copied().flatten() else {
                continue;
            };
            let h = plot_h * (v / max).clamp(0.0, 1.0);
            let x = x0 + bar_w * s as f64;
            let text = num(v, decimals);
            let _ = write!(
                out,
                "<rect class=\"bar\" data-label=\"{l}\" data-series=\"{sn}\" data-value=\"{v}\" x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"{c}\"><title>{l}, {sn}: {text}</title></rect>\
                 <text class=\"value{cls}\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"middle\">{text}</text>",
                l = esc(bin),
                sn = esc(&ser.name),
                x = f(x),
                y = f(bottom - h),
                w = f(bar_w.max(1.0)),
                h = f(h),
                c = PALETTE[s % PALETTE.len()],
                cls = if small { " small" } else { "" },
                tx = f(x + bar_w / 2.0),
                ty = f(bottom - h - 3.0),
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// A lower-triangular heatmap of scores in [0, 1] between named items (e.g. pair similarity),
/// the score written in every cell; low scores are dark vermillion, 1 is near white.
///
/// Each cell is `<rect class="cell" data-label="A × B" data-value="…">`.
pub fn heatmap(
    id: &str,
    title: &str,
    desc: &str,
    names: &[String],
    cells: &[(usize, usize, f64)],
) -> String {
    let n = names.len().max(1);
    let left = 170.0;
    let top = 20.0;
    let size = ((WIDTH - left - 20.0) / n as f64).min(48.0);
    let height = top + size * n as f64 + 130.0;
    let mut out = String::new();
    open(&mut out, id, title, desc, height);
    for (i, name) in names.iter().enumerate() {
        let _ = write!(
            out,
            "<text x=\"{}\" y=\"{}\" class=\"label\" text-anchor=\"end\">{}</text>",
            f(left - 6.0),
            f(top + size * i as f64 + size / 2.0 + 4.0),
            esc(&short(name, 24))
        );
        let bx = left + size * i as f64 + size / 2.0;
        let by = top + size * n as f64 + 8.0;
        let _ = write!(
            out,
            "<text x=\"{x}\" y=\"{y}\" class=\"label\" text-anchor=\"end\" transform=\"rotate(-50 {x} {y})\">{}</text>",
            esc(&short(name, 24)),
            x = f(bx),
            y = f(by),
        );
    }
    let font = (size / 3.6).clamp(6.0, 11.0);
    for &(i, j, v) in cells {
        let (r, g, b) = ramp(v);
        let x = left + size * j as f64;
        let y = top + size * i as f64;
        let dark = 0.299 * r as f64 + 0.587 * g as f64 + 0.114 * b as f64 <= 140.0;
        let label = format!("{} × {}", names[i], names[j]);
        let _ = write!(
            out,
            "<rect class=\"cell\" data-label=\"{l}\" data-value=\"{v}\" x=\"{x}\" y=\"{y}\" width=\"{s}\" height=\"{s}\" fill=\"#{r:02X}{g:02X}{b:02X}\"><title>{l}: {t}</title></rect>\
             <text class=\"value\" x=\"{tx}\" y=\"{ty}\" text-anchor=\"middle\" font-size=\"{fs}\" fill=\"{tc}\">{t}</text>",
            l = esc(&label),
            x = f(x),
            y = f(y),
            s = f(size - 1.0),
            t = num(v, 2),
            tx = f(x + size / 2.0),
            ty = f(y + size / 2.0 + font / 3.0),
            fs = f(font),
            tc = if dark { "#FFFFFF" } else { "#000000" },
        );
    }
    out.push_str("</svg>");
    out
}

/// Colour of a score: 1 → #F7F7F7, 0.5 and below → Okabe–Ito vermillion #D55E00.
fn ramp(v: f64) -> (u8, u8, u8) {
    let t = ((1.0 - v) / 0.5).clamp(0.0, 1.0);
    let mix = |a: f64, b: f64| (a + (b - a) * t).round() as u8;
    (mix(247.0, 213.0), mix(247.0, 94.0), mix(247.0, 0.0))
}

/// `s` cut to `n` characters with an ellipsis.
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n - 1).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_write_one_rect_and_one_number_per_value() {
        let cats = vec!["a".to_string(), "b<".to_string()];
        let s = vec![
            Series::new("before", vec![Some(0.25), Some(0.5)]),
            Series::new("after", vec![Some(0.75), None]),
        ];
        let svg = bars("x", "T", "D", &cats, &s, &Axis::new(1.0, 2), None);
        assert_eq!(svg.matches("class=\"bar\"").count(), 3);
        assert!(svg.contains(">0.25</text>") && svg.contains(">0.75</text>"));
        assert!(svg.contains("b&lt;") && !svg.contains("b<"));
    }

    #[test]
    fn ramp_ends() {
        assert_eq!(ramp(1.0), (247, 247, 247));
        assert_eq!(ramp(0.2), (213, 94, 0));
    }
}
