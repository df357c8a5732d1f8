//! Times two commands side by side for `scripts/bench-vault.sh`: runs them in
//! interleaved pairs (base, then candidate, then base…), so both see the
//! same machine load, and prints the medians of wall time and of CPU time
//! (user + system, which a loaded machine disturbs far less than wall
//! time), the ratios of the medians and the candidate's peak resident
//! memory.
//!
//! ```text
//! bench_pairs NAME RUNS 'BASE COMMAND' 'CANDIDATE COMMAND' [STDIN]
//! ```
//!
//! Commands are split on spaces (no quoting). The candidate reads STDIN when
//! given: a file, or a directory whose files `0`, `1`, … are read by the
//! candidate's runs in turn, warm-up runs included — one input per run, for
//! requests that may not be repeated (a fill writes the vault, and a step
//! once filled is not handed out again; putting an older vault file back
//! would be refused by the rollback guard, so each run fills another
//! token). Output: one tab-separated line, `NAME base_ms candidate_ms ratio
//! candidate_peak_rss_kib base_cpu_ms candidate_cpu_ms cpu_ratio` (medians;
//! the RSS is the largest of all runs), after 10 unrecorded warm-up pairs.
//!
//! With `BENCH_PAIRS_RESET` set to a command (split on spaces too), that
//! command runs, untimed, before each of the candidate's runs and must
//! succeed: it puts back whatever state the candidate uses up (a fresh code
//! spends its time step; `scripts/bench-fresh.sh` restores the vault and
//! accepts the restored file deliberately).

#[cfg(unix)]
fn main() -> Result<(), Box<dyn std::error::Error>> {
    unix::main()
}

#[cfg(not(unix))]
fn main() {
    eprintln!("bench_pairs runs on Unix only");
}

#[cfg(unix)]
mod unix {
    use std::fs::File;
    use std::path::{Path, PathBuf};
    use std::process::{Command, Stdio};
    use std::time::Instant;

    const WARMUP: usize = 10;

    /// What one run took.
    struct Run {
        wall_ms: f64,
        cpu_ms: f64,
        peak_rss_kib: i64,
    }

    fn ms(t: libc::timeval) -> f64 {
        t.tv_sec as f64 * 1e3 + t.tv_usec as f64 / 1e3
    }

    /// One run of `argv`, reaped with `wait4` for its resource usage.
    fn run(argv: &[&str], stdin: Option<&Path>) -> Result<Run, Box<dyn std::error::Error>> {
        let mut command = Command::new(argv[0]);
        command
            .args(&argv[1..])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        command.stdin(match stdin {
            Some(path) => Stdio::from(File::open(path)?),
            None => Stdio::null(),
        });
        let start = Instant::now();
        let child = command.spawn()?;
        let pid = child.id() as libc::pid_t;
        let mut status = 0;
        // SAFETY: an all-zero rusage is a valid value of this plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: `pid` is our own child, not yet reaped (std's `Child` is
        // dropped without waiting); both pointers are valid for the call.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        let elapsed = start.elapsed().as_secs_f64() * 1e3;
        if reaped != pid {
            return Err(format!("wait4 failed for {}", argv[0]).into());
        }
        if !libc::WIFEXITED(status) || libc::WEXITSTATUS(status) != 0 {
            return Err(format!("{} failed (wait status {status})", argv.join(" ")).into());
        }
        Ok(Run {
            wall_ms: elapsed,
            cpu_ms: ms(usage.ru_utime) + ms(usage.ru_stime),
            peak_rss_kib: usage.ru_maxrss,
        })
    }

    fn median(values: &mut [f64]) -> f64 {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        }
    }

    /// The candidate's input for run `i`: the file itself, or a directory's
    /// file named `i`.
    fn input(stdin: &Path, i: usize) -> Result<PathBuf, Box<dyn std::error::Error>> {
        if !stdin.is_dir() {
            return Ok(stdin.to_path_buf());
        }
        let path = stdin.join(i.to_string());
        if !path.is_file() {
            return Err(format!(
                "{} has no input for run {i} ({} runs with warm-up need as many files)",
                stdin.display(),
                i + 1
            )
            .into());
        }
        Ok(path)
    }

    pub(super) fn main() -> Result<(), Box<dyn std::error::Error>> {
        let args: Vec<String> = std::env::args().skip(1).collect();
        if args.len() < 4 {
            return Err("usage: bench_pairs NAME RUNS 'BASE' 'CANDIDATE' [STDIN]".into());
        }
        let name = &args[0];
        let runs: usize = args[1].parse()?;
        let base: Vec<&str> = args[2].split(' ').collect();
        let candidate: Vec<&str> = args[3].split(' ').collect();
        let stdin = args.get(4).map(PathBuf::from);
        if let Some(dir) = stdin.as_deref().filter(|p| p.is_dir()) {
            input(dir, WARMUP + runs - 1)?;
        }
        let (mut base_ms, mut candidate_ms) = (Vec::new(), Vec::new());
        let (mut base_cpu, mut candidate_cpu) = (Vec::new(), Vec::new());
        let mut peak = 0;
        let reset = std::env::var("BENCH_PAIRS_RESET").ok();
        let reset: Option<Vec<&str>> = reset.as_deref().map(|r| r.split(' ').collect());
        for i in 0..WARMUP + runs {
            let b = run(&base, None)?;
            if let Some(reset) = &reset {
                run(reset, None)?;
            }
            let stdin = stdin.as_deref().map(|s| input(s, i)).transpose()?;
            let c = run(&candidate, stdin.as_deref())?;
            if i >= WARMUP {
                base_ms.push(b.wall_ms);
                candidate_ms.push(c.wall_ms);
                base_cpu.push(b.cpu_ms);
                candidate_cpu.push(c.cpu_ms);
                peak = peak.max(c.peak_rss_kib);
            }
        }
        let (b, c) = (median(&mut base_ms), median(&mut candidate_ms));
        let (bc, cc) = (median(&mut base_cpu), median(&mut candidate_cpu));
        println!(
            "{name}\t{b:.3}\t{c:.3}\t{:.2}\t{peak}\t{bc:.3}\t{cc:.3}\t{:.2}",
            c / b,
            cc / bc
        );
        Ok(())
    }
}
