//! Service-level objectives: checked against a report; any violation makes the process exit
//! with [`EXIT_SLO_VIOLATED`], so CI and studios can gate on a run.

use super::config::Slo;
use super::report::{Report, SloCheck};

/// Exit code of a run that violated an SLO (1 is any other failure, 2 bad arguments).
pub const EXIT_SLO_VIOLATED: i32 = 3;

/// Check each SLO given. A figure that could not be measured (no acked input, nothing
/// expected) violates its SLO: a gate must not pass on no evidence.
pub fn evaluate(report: &Report, slo: &Slo) -> Vec<SloCheck> {
    let mut out = Vec::new();
    let mut check = |name: &str, op: &str, limit: f64, actual: Option<f64>| {
        let ok = match (op, actual) {
            ("<=", Some(a)) => a <= limit,
            (">=", Some(a)) => a >= limit,
            _ => false,
        };
        out.push(SloCheck { name: name.into(), op: op.into(), limit, actual, ok });
    };
    if let Some(limit) = slo.max_p99_ms {
        let h = &report.latency.input_to_ack;
        check("p99_ack_ms", "<=", limit, (h.count > 0).then_some(h.p99_ms));
    }
    if let Some(limit) = slo.max_error_rate {
        let rate = (report.bots.sessions > 0).then_some(report.errors.rate);
        check("error_rate", "<=", limit, rate);
    }
    if let Some(limit) = slo.min_delivery {
        check("delivery", ">=", limit, report.delivery.ratio);
    }
    // Always: a state message that does not apply to a bot's own view is a server bug
    // (issue 16), whatever else the run measures.
    check("view_failures", "<=", 0.0, Some(report.views.failed as f64));
    out
}

/// 0 when every check holds, [`EXIT_SLO_VIOLATED`] otherwise.
pub fn exit_code(checks: &[SloCheck]) -> i32 {
    if checks.iter().all(|c| c.ok) { 0 } else { EXIT_SLO_VIOLATED }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::swarm::report::*;

    fn report(p99: f64, rate: f64, delivery: Option<f64>) -> Report {
        let mut r = Report::default();
        r.latency.input_to_ack.count = 10;
        r.latency.input_to_ack.p99_ms = p99;
        r.errors.rate = rate;
        r.bots.sessions = 10;
        r.delivery.ratio = delivery;
        r
    }

    #[test]
    fn checks_pass_and_fail_both_ways() {
        let slo =
            Slo { max_p99_ms: Some(50.0), max_error_rate: Some(0.01), min_delivery: Some(0.99) };
        let good = evaluate(&report(40.0, 0.0, Some(0.995)), &slo);
        assert_eq!(good.len(), 4, "the three given and view_failures");
        assert_eq!(exit_code(&good), 0);
        for bad in [
            report(51.0, 0.0, Some(1.0)),
            report(10.0, 0.02, Some(1.0)),
            report(10.0, 0.0, Some(0.98)),
            report(10.0, 0.0, None),
        ] {
            let c = evaluate(&bad, &slo);
            assert_eq!(c.iter().filter(|c| !c.ok).count(), 1, "{c:?}");
            assert_eq!(exit_code(&c), EXIT_SLO_VIOLATED);
        }
        // No SLO given: only the view check, which a clean run passes.
        assert_eq!(exit_code(&evaluate(&report(1e9, 1.0, None), &Slo::default())), 0);
        // A state message that did not apply to a bot's view fails any run.
        let mut r = report(10.0, 0.0, Some(1.0));
        r.views.failed = 1;
        for slo in [Slo::default(), slo] {
            let c = evaluate(&r, &slo);
            let bad: Vec<_> = c.iter().filter(|c| !c.ok).map(|c| c.name.as_str()).collect();
            assert_eq!(bad, ["view_failures"]);
            assert_eq!(exit_code(&c), EXIT_SLO_VIOLATED);
        }
    }
}
