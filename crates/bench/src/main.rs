//! `latchkey-bench`: starts `latchkey serve` as a process of its own, loads it over
//! loopback from this one (keep-alive HTTP/1.1, fixed concurrency, a warm-up, then a
//! measured period) and prints, per database, a table of every scenario next to two
//! ceilings measured in the same run: the HTTP ceiling (`GET /healthz`, a trivial
//! handler on the same server stack) and the storage ceiling (single-row
//! insert-and-commit with the server's database settings).
//!
//! `latchkey-bench seed` creates the large dataset of the query scenarios (kept and
//! reused by later runs). `--quick` runs every scenario for a moment on small data, as
//! CI's smoke test: it checks that each ran without errors, not how fast.

mod load;
mod scenarios;
mod seed;
mod server;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail, ensure};
use clap::{Parser, Subcommand};

use crate::load::{Period, Table};
use crate::scenarios::Bench;
use crate::seed::{Place, Scale};
use crate::server::{Database, ensure_postgres_database, postgres_database};

#[derive(Debug, Parser)]
#[command(
    about = "Load a Latchkey server and compare it with the machine's ceilings",
    after_help = "Examples:\n  latchkey-bench --postgres postgres://postgres@127.0.0.1:5432   # SQLite and PostgreSQL\n  latchkey-bench --quick                                          # a smoke run, seconds\n  latchkey-bench seed --postgres postgres://postgres@127.0.0.1:5432"
)]
struct Args {
    #[command(subcommand)]
    command: Option<Command>,
    /// Every scenario for a moment, on small data: CI's smoke test.
    #[arg(long, global = true)]
    quick: bool,
    /// The `latchkey` binary (default: the one next to this program).
    #[arg(long, global = true)]
    server: Option<PathBuf>,
    /// A PostgreSQL server to run on as well (databases `latchkey_bench_*` are created in
    /// it); without it, SQLite only.
    #[arg(long, global = true, env = "LATCHKEY_BENCH_POSTGRES")]
    postgres: Option<String>,
    /// Only this database (default: SQLite, and PostgreSQL when --postgres is given).
    #[arg(long, global = true, value_enum)]
    only: Option<Only>,
    /// Where seeded datasets are kept between runs.
    #[arg(long, global = true, default_value = "target/bench-data")]
    data: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Only {
    Sqlite,
    Postgres,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// (Re)create the large dataset: 100,000 people, 10,000 locks, 1,000,000 keys,
    /// 10,000,000 activity entries (with --quick, a small one).
    Seed,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let binary = match &args.server {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("latchkey"),
    };
    let scale = if args.quick { seed::QUICK } else { seed::FULL };
    let mut places = Vec::new();
    if args.only != Some(Only::Postgres) {
        places.push(Place::sqlite(&args.data, scale));
    }
    match (&args.postgres, args.only) {
        (Some(base), _) => places.push(Place::postgres(&args.data, base, scale)),
        (None, Some(Only::Postgres)) => bail!("--only postgres needs --postgres URL"),
        (None, _) => {}
    }
    if args.only == Some(Only::Sqlite) {
        places.truncate(1);
    }
    println!("{}", machine());
    if matches!(args.command, Some(Command::Seed)) {
        for place in &places {
            seed(&binary, place, scale).await?;
        }
        return Ok(());
    }
    let bench = Bench {
        binary: &binary,
        period: if args.quick {
            Period {
                warm: Duration::from_millis(200),
                measure: Duration::from_millis(500),
            }
        } else {
            Period {
                warm: Duration::from_secs(2),
                measure: Duration::from_secs(10),
            }
        },
        quick: args.quick,
    };
    let mut tables = Vec::new();
    for place in &places {
        let fresh = match &place.database {
            Database::Sqlite { .. } => None,
            Database::Postgres { .. } => args.postgres.as_deref(),
        };
        let scratch = tempfile::tempdir()?;
        let database = match fresh {
            Some(base) => {
                ensure_postgres_database(base, "latchkey_bench_run", true).await?;
                Database::Postgres {
                    url: postgres_database(base, "latchkey_bench_run"),
                }
            }
            None => Database::Sqlite {
                dir: scratch.path().to_owned(),
            },
        };
        println!("\n## {} (server: {})\n", database.name(), binary.display());
        let mut table = scenarios::fresh(&bench, &database).await?;
        let dataset = match place.existing().await? {
            Some(dataset) => dataset,
            None => seed(&binary, place, scale).await?,
        };
        scenarios::queries(&bench, &dataset, &mut table).await?;
        tables.push(table);
    }
    compare(&tables);
    let errors: usize = tables.iter().map(Table::errors).sum();
    ensure!(errors == 0, "{errors} calls failed");
    Ok(())
}

async fn seed(binary: &std::path::Path, place: &Place, scale: Scale) -> Result<seed::Dataset> {
    println!("seeding {} ({scale:?}) …", place.database.name());
    let began = Instant::now();
    let dataset = place.seed(binary, scale).await?;
    println!(
        "seeded {} in {:.1} s",
        place.database.name(),
        began.elapsed().as_secs_f64()
    );
    Ok(dataset)
}

/// PostgreSQL's figures as a multiple of SQLite's, scenario by scenario.
fn compare(tables: &[Table]) {
    let [sqlite, postgres] = tables else {
        return;
    };
    println!("\n## PostgreSQL against SQLite\n");
    println!("| scenario | req/s PG / SQLite | p99 PG / SQLite |\n|---|--:|--:|");
    for row in &sqlite.rows {
        if let Some(pg) = postgres.find(&row.scenario) {
            println!(
                "| {} | {:.2} | {:.2} |",
                row.scenario,
                pg.per_second() / row.measured.per_second(),
                pg.quantile_ms(990) / row.measured.quantile_ms(990)
            );
        }
    }
}

/// Cores, CPU model and memory of this machine.
fn machine() -> String {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map_or("unknown CPU", |m| m.trim_start_matches([' ', '\t', ':']));
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0 / 1024.0);
    format!("machine: {cores} cores, {model}, {memory:.0} GiB")
}
