//! CPU time and resident memory of a process, read from `/proc`.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// A process to look at: this one, or a child by pid.
#[derive(Debug, Clone, Copy)]
pub enum Pid {
    This,
    Of(u32),
}

impl Pid {
    fn dir(self) -> String {
        match self {
            Pid::This => "/proc/self".into(),
            Pid::Of(pid) => format!("/proc/{pid}"),
        }
    }
}

/// Clock ticks per second of `utime`/`stime` (`getconf CLK_TCK`; 100 on Linux).
fn ticks_per_second() -> u64 {
    static TICKS: OnceLock<u64> = OnceLock::new();
    *TICKS.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .and_then(|text| text.trim().parse().ok())
            .filter(|&ticks| ticks > 0)
            .unwrap_or(100)
    })
}

/// CPU time a process (all its threads) has used, in user and kernel mode.
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuTime {
    pub user: Duration,
    pub system: Duration,
}

/// User and system CPU time the process (all its threads) has used.
pub fn cpu_time(pid: Pid) -> anyhow::Result<CpuTime> {
    let path = format!("{}/stat", pid.dir());
    let stat = std::fs::read_to_string(&path).with_context(|| format!("reading {path}"))?;
    // The command name (field 2) may hold spaces; the fields after its ')'
    // start at field 3 (state), so utime (14) and stime (15) are at 11 and 12.
    let after_name = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .with_context(|| format!("{path} has no ')'"))?;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let field = |index: usize| -> anyhow::Result<u64> {
        fields
            .get(index)
            .and_then(|value| value.parse().ok())
            .with_context(|| format!("{path}: no number at field {}", index + 3))
    };
    let seconds = |ticks: u64| Duration::from_secs_f64(ticks as f64 / ticks_per_second() as f64);
    Ok(CpuTime {
        user: seconds(field(11)?),
        system: seconds(field(12)?),
    })
}

/// CPU time the whole machine (every core) has spent busy: all but idle
/// and iowait, from the `cpu` line of `/proc/stat`.
pub fn machine_busy() -> anyhow::Result<Duration> {
    let stat = std::fs::read_to_string("/proc/stat").context("reading /proc/stat")?;
    let line = stat
        .lines()
        .find(|line| line.starts_with("cpu "))
        .context("/proc/stat has no cpu line")?;
    // user nice system idle iowait irq softirq steal …
    let ticks: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .map(|field| field.parse().unwrap_or(0))
        .collect();
    let busy: u64 = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| ticks.get(i))
        .sum();
    Ok(Duration::from_secs_f64(
        busy as f64 / ticks_per_second() as f64,
    ))
}

/// Resident set size in bytes (`VmRSS`).
pub fn rss_bytes(pid: Pid) -> anyhow::Result<u64> {
    kib_field(&format!("{}/status", pid.dir()), "VmRSS:")
}

/// The resident pages backed by files (`RssFile`: mostly the program's own
/// code, shared by every process that runs the same binary), in bytes.
pub fn rss_file_bytes(pid: Pid) -> anyhow::Result<u64> {
    kib_field(&format!("{}/status", pid.dir()), "RssFile:")
}

/// Proportional set size in bytes (`Pss` of `smaps_rollup`): every resident
/// page divided by the number of processes that map it, so the Pss of a
/// group of processes adds up to the memory they hold, shared pages once.
pub fn pss_bytes(pid: Pid) -> anyhow::Result<u64> {
    kib_field(&format!("{}/smaps_rollup", pid.dir()), "Pss:")
}

/// The `NAME:   1234 kB` line of `path` whose name is `prefix`, in bytes.
fn kib_field(path: &str, prefix: &str) -> anyhow::Result<u64> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path}"))?;
    for line in text.lines() {
        if let Some(value) = line.strip_prefix(prefix) {
            let kib: u64 = value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse()
                .with_context(|| format!("{path}: bad line '{line}'"))?;
            return Ok(kib * 1024);
        }
    }
    bail!("{path} has no {prefix} line")
}

/// CPU use of a process over a span of wall-clock time.
#[derive(Debug, Clone, Copy)]
pub struct CpuMeter {
    pid: Pid,
    cpu: CpuTime,
    wall: Instant,
}

/// CPU use over a span, in percent of one core (200 % = two cores busy).
#[derive(Debug, Clone, Copy, Default)]
pub struct CpuUse {
    pub user: f64,
    pub system: f64,
}

impl CpuUse {
    /// User + system.
    pub fn total(&self) -> f64 {
        self.user + self.system
    }

    /// `95 % (30 user + 65 sys)`, as a table cell.
    pub fn cell(&self) -> String {
        format!(
            "{:.0} % ({:.0} user + {:.0} sys)",
            self.total(),
            self.user,
            self.system
        )
    }
}

impl CpuMeter {
    /// Starts measuring now.
    pub fn start(pid: Pid) -> anyhow::Result<Self> {
        Ok(Self {
            pid,
            cpu: cpu_time(pid)?,
            wall: Instant::now(),
        })
    }

    /// CPU used since `start`.
    pub fn read(&self) -> anyhow::Result<CpuUse> {
        let now = cpu_time(self.pid)?;
        let wall = self.wall.elapsed().as_secs_f64();
        let percent = |used: Duration, before: Duration| {
            if wall > 0.0 {
                100.0 * used.saturating_sub(before).as_secs_f64() / wall
            } else {
                0.0
            }
        };
        Ok(CpuUse {
            user: percent(now.user, self.cpu.user),
            system: percent(now.system, self.cpu.system),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_this_process() {
        let rss = rss_bytes(Pid::This).expect("VmRSS");
        assert!(rss > 0);
        assert!(rss_file_bytes(Pid::This).expect("RssFile") <= rss);
        assert!(pss_bytes(Pid::This).expect("Pss") > 0);
        let meter = CpuMeter::start(Pid::This).expect("stat");
        let mut x = 0u64;
        for i in 0..1_000_000u64 {
            x = x.wrapping_add(i * i);
        }
        assert!(x > 0);
        assert!(meter.read().expect("stat").total() >= 0.0);
        assert!(machine_busy().expect("/proc/stat") >= cpu_time(Pid::This).expect("stat").user);
    }
}
