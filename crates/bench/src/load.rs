//! Load from this process: a fixed number of tasks, each calling in a loop over its own
//! keep-alive connection, a warm-up, then a measured period; and the table of results.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Result;

/// How long to warm up and to measure each scenario.
#[derive(Debug, Clone, Copy)]
pub struct Period {
    pub warm: Duration,
    pub measure: Duration,
}

/// One measured run: each call's latency and whether it failed.
#[derive(Debug, Default)]
pub struct Measured {
    pub errors: usize,
    pub seconds: f64,
    /// Sorted.
    pub latencies: Vec<Duration>,
}

impl Measured {
    pub fn per_second(&self) -> f64 {
        // Counts stay far below 2^52: the conversion is exact.
        #[allow(clippy::cast_precision_loss)]
        let requests = self.latencies.len() as f64;
        requests / self.seconds
    }

    /// The latency at `per_mille`/1000 (500 = median), in milliseconds.
    pub fn quantile_ms(&self, per_mille: usize) -> f64 {
        match self.latencies.len() {
            0 => f64::NAN,
            n => self.latencies[(n - 1) * per_mille / 1000].as_secs_f64() * 1e3,
        }
    }

    pub fn from_latencies(mut latencies: Vec<Duration>, errors: usize, seconds: f64) -> Measured {
        latencies.sort_unstable();
        Measured {
            errors,
            seconds,
            latencies,
        }
    }
}

/// Runs `call` from `concurrency` tasks: `period.warm` unmeasured, then `period.measure`
/// measured. A call that fails or answers `false` counts as an error.
pub async fn load<F, Fut>(concurrency: usize, period: Period, call: F) -> Measured
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<bool>> + Send,
{
    let start = Instant::now() + period.warm;
    let end = start + period.measure;
    let mut tasks = Vec::with_capacity(concurrency);
    for worker in 0..concurrency {
        let call = call.clone();
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors) = (Vec::new(), 0);
            let mut n = worker;
            loop {
                let began = Instant::now();
                if began >= end {
                    break;
                }
                let ok = matches!(call(n).await, Ok(true));
                n += concurrency;
                if began >= start {
                    latencies.push(began.elapsed());
                    errors += usize::from(!ok);
                }
            }
            (latencies, errors)
        }));
    }
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        match task.await {
            Ok((l, e)) => {
                latencies.extend(l);
                errors += e;
            }
            Err(_) => errors += 1,
        }
    }
    Measured::from_latencies(latencies, errors, period.measure.as_secs_f64())
}

/// A spread of indexes `0..n` for call number `i` (no two neighbours alike).
pub fn pick(i: usize, n: usize) -> usize {
    i.wrapping_mul(2_654_435_761) % n.max(1)
}

/// The results of one database, printed as a Markdown table.
pub struct Table {
    pub http_ceiling: f64,
    pub rows: Vec<Row>,
}

pub struct Row {
    pub scenario: String,
    pub measured: Measured,
    pub rss_mb: f64,
}

impl Table {
    pub fn push(&mut self, scenario: impl Into<String>, measured: Measured, rss_mb: f64) {
        let row = Row {
            scenario: scenario.into(),
            measured,
            rss_mb,
        };
        println!("{}", self.line(&row));
        self.rows.push(row);
    }

    pub fn header() -> &'static str {
        "| scenario | req/s | p50 ms | p99 ms | p999 ms | errors | of HTTP ceiling | server RSS MB |\n|---|--:|--:|--:|--:|--:|--:|--:|"
    }

    fn line(&self, row: &Row) -> String {
        let m = &row.measured;
        format!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {:.0}% | {:.0} |",
            row.scenario,
            m.per_second(),
            m.quantile_ms(500),
            m.quantile_ms(990),
            m.quantile_ms(999),
            m.errors,
            100.0 * m.per_second() / self.http_ceiling,
            row.rss_mb
        )
    }

    pub fn errors(&self) -> usize {
        self.rows.iter().map(|r| r.measured.errors).sum()
    }

    pub fn find(&self, scenario: &str) -> Option<&Measured> {
        self.rows
            .iter()
            .find(|r| r.scenario == scenario)
            .map(|r| &r.measured)
    }
}
