//! `--chart FILE`: an SVG of bots connected / in a match (left axis) and the p50 / p99
//! input-to-ack latency (right axis) over the run, one point per second.

use super::report::Report;
use plotters::prelude::*;

/// Render the chart of a report as SVG text.
pub fn svg(report: &Report) -> Result<String, String> {
    let mut out = String::new();
    draw(report, &mut out).map_err(|e| format!("drawing the chart: {e}"))?;
    Ok(out)
}

fn draw(report: &Report, out: &mut String) -> Result<(), Box<dyn std::error::Error>> {
    let series = &report.series;
    let t_max = series.last().map_or(1, |p| p.t_s + 1) as f64;
    let bots_max = series
        .iter()
        .map(|p| p.gauges.connected.max(p.gauges.in_match))
        .max()
        .unwrap_or(0)
        .max(report.settings.bots)
        .max(1) as f64
        * 1.1;
    let ms_max = series.iter().filter_map(|p| p.ack_p99_ms).fold(10.0f64, f64::max) * 1.2;
    {
        let root = SVGBackend::with_string(out, (1000, 520)).into_drawing_area();
        root.fill(&WHITE)?;
        let title = format!(
            "{} bots, {}, {} inputs/s -> {}",
            report.settings.bots,
            report.settings.behaviour,
            report.settings.input_hz,
            report.server.as_deref().unwrap_or("server")
        );
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .right_y_label_area_size(60)
            .build_cartesian_2d(0f64..t_max, 0f64..bots_max)?
            .set_secondary_coord(0f64..t_max, 0f64..ms_max);
        chart
            .configure_mesh()
            .x_desc("seconds since start")
            .y_desc("bots")
            .x_label_formatter(&|v| format!("{v:.0}"))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        chart
            .configure_secondary_axes()
            .y_desc("input -> ack latency (ms)")
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        let t = |p: &super::report::Point| p.t_s as f64 + 1.0;
        let line = |c: RGBColor| ShapeStyle::from(c).stroke_width(2);
        let blue = RGBColor(31, 119, 180);
        let green = RGBColor(44, 160, 44);
        let orange = RGBColor(255, 127, 14);
        let red = RGBColor(214, 39, 40);
        chart
            .draw_series(LineSeries::new(
                series.iter().map(|p| (t(p), f64::from(p.gauges.connected))),
                line(blue),
            ))?
            .label("connected")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line(blue)));
        chart
            .draw_series(LineSeries::new(
                series.iter().map(|p| (t(p), f64::from(p.gauges.in_match))),
                line(green),
            ))?
            .label("in a match")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line(green)));
        chart
            .draw_secondary_series(LineSeries::new(
                series.iter().filter_map(|p| Some((t(p), p.ack_p50_ms?))),
                line(orange),
            ))?
            .label("p50 input->ack (ms)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line(orange)));
        chart
            .draw_secondary_series(LineSeries::new(
                series.iter().filter_map(|p| Some((t(p), p.ack_p99_ms?))),
                line(red),
            ))?
            .label("p99 input->ack (ms)")
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], line(red)));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
        root.present()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::report::Point;

    #[test]
    fn renders_an_svg_with_the_series() {
        let mut r = Report::default();
        r.settings.bots = 10;
        for t in 0..5u64 {
            let mut p = Point {
                t_s: t,
                ack_p50_ms: Some(20.0 + t as f64),
                ack_p99_ms: (t > 0).then_some(40.0),
                ..Point::default()
            };
            p.gauges.connected = (t * 2) as u32;
            p.gauges.in_match = t as u32;
            r.series.push(p);
        }
        let s = svg(&r).unwrap();
        assert!(s.starts_with("<svg"), "{}", &s[..50]);
        assert!(s.contains("p99 input-&gt;ack") || s.contains("p99 input->ack"));
        assert!(s.contains("<polyline") || s.contains("<path"));
        // An empty run still renders.
        assert!(svg(&Report::default()).unwrap().contains("</svg>"));
    }
}
