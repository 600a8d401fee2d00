//! Live progress on stderr: an indicatif bar on a terminal, plain lines in logs.

use super::config::ProgressMode;
use super::stats::Point;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Plain mode prints at most this often.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    plain: bool,
    last_line: Option<Instant>,
    errors: u64,
}

fn fmt_rate(v: u64) -> String {
    if v >= 10_000 { format!("{:.1}k", v as f64 / 1000.0) } else { v.to_string() }
}

impl Progress {
    pub(crate) fn new(mode: ProgressMode, bots: u32) -> Self {
        let tty = std::io::stderr().is_terminal();
        let (bar, plain) = match mode {
            ProgressMode::None => (false, false),
            ProgressMode::Plain => (false, true),
            ProgressMode::Bar => (true, false),
            ProgressMode::Auto => (tty, !tty),
        };
        let bar = bar.then(|| {
            let b =
                ProgressBar::with_draw_target(Some(u64::from(bots)), ProgressDrawTarget::stderr());
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] in match {bar:24.cyan/blue} {pos}/{len} {msg}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Progress { bar, plain, last_line: None, errors: 0 }
    }

    fn line(&self, p: &Point) -> String {
        let g = &p.gauges;
        format!(
            "spawned {} | connecting {} | connected {} | errors {} | {} msg/s | ack p99 {}",
            g.spawned,
            g.connecting,
            g.connected,
            self.errors,
            fmt_rate(p.state_msgs_per_s),
            p.ack_p99_ms.map_or("-".into(), |v| format!("{v:.1} ms")),
        )
    }

    /// A new second of measurements.
    pub(crate) fn update(&mut self, p: &Point) {
        self.errors += p.errors;
        if let Some(b) = &self.bar {
            b.set_position(u64::from(p.gauges.in_match));
            b.set_message(self.line(p));
        }
        if self.plain && self.last_line.is_none_or(|t| t.elapsed() >= PLAIN_EVERY) {
            self.last_line = Some(Instant::now());
            eprintln!("[{:>4} s] in match {} | {}", p.t_s + 1, p.gauges.in_match, self.line(p));
        }
    }

    pub(crate) fn finish(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_line_shows_the_figures() {
        let mut p = Progress::new(ProgressMode::None, 10);
        let mut pt = Point {
            state_msgs_per_s: 60_500,
            errors: 2,
            ack_p99_ms: Some(38.25),
            ..Point::default()
        };
        pt.gauges.connecting = 3;
        p.update(&pt);
        let l = p.line(&pt);
        assert!(l.contains("connecting 3"), "{l}");
        assert!(l.contains("errors 2"), "{l}");
        assert!(l.contains("60.5k msg/s"), "{l}");
        assert!(l.contains("38.2 ms") || l.contains("38.3 ms"), "{l}");
        p.finish();
    }
}
