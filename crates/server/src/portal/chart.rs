//! Bar charts as inline SVG: no script, no external file, styled by the stylesheet,
//! with a text title and a table-like description for screen readers.

use maud::{Markup, html};

const WIDTH: u32 = 640;
const HEIGHT: u32 = 200;
const AXIS: u32 = 28;
const TOP: u32 = 24;

/// A bar per label. Every `label_every`-th label is written under its bar.
pub fn bars(
    id: &str,
    title: &str,
    labels: &[String],
    values: &[u32],
    label_every: usize,
) -> Markup {
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let count = u32::try_from(values.len().max(1)).unwrap_or(1);
    let slot = WIDTH / count;
    let bar = slot.saturating_sub(2).max(1);
    let plot = HEIGHT - AXIS - TOP;
    let total: u32 = values.iter().sum();
    let summary = labels
        .iter()
        .zip(values)
        .filter(|(_, v)| **v > 0)
        .map(|(l, v)| format!("{l}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    html! {
        figure.chart {
            figcaption #{ (id) "-title" } { (title) " — " (total) " in all" }
            svg viewBox={ "0 0 " (WIDTH) " " (HEIGHT) } role="img"
                aria-labelledby={ (id) "-title " (id) "-desc" } {
                desc #{ (id) "-desc" } { @if summary.is_empty() { "None." } @else { (summary) } }
                line.axis x1="0" y1=(HEIGHT - AXIS) x2=(WIDTH) y2=(HEIGHT - AXIS) {}
                text.scale x="2" y="16" { "max " (max) }
                @for (i, (label, value)) in labels.iter().zip(values).enumerate() {
                    @let x = u32::try_from(i).unwrap_or(0) * slot + 1;
                    @let h = value * plot / max;
                    rect.bar x=(x) y=(HEIGHT - AXIS - h) width=(bar) height=(h) {
                        title { (label) ": " (value) }
                    }
                    @if i % label_every.max(1) == 0 {
                        text.tick x=(x) y=(HEIGHT - 6) { (label) }
                    }
                }
            }
        }
    }
}
