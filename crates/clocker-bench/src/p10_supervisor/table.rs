//! P10's table: what the runs measured, beside their targets.

use super::*;
use crate::stats::{Samples, Summary, verdict};

pub(super) fn summary(samples: impl IntoIterator<Item = Duration>) -> Summary {
    let mut all = Samples::default();
    for sample in samples {
        all.record(sample);
    }
    all.summary()
}

pub(super) fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB)
}

pub(super) fn table(runs: &[Run], args: &P10Args) -> Table {
    let startup = summary(runs.iter().map(|run| run.startup));
    let stop = summary(runs.iter().map(|run| run.stop));
    // The run whose fleet held the most memory speaks for the fleet.
    let heaviest = runs
        .iter()
        .max_by_key(|run| run.total_pss())
        .expect("at least one run");
    let lightest = runs.iter().map(Run::total_pss).min().unwrap_or(0);
    let (pss, rss) = (heaviest.total_pss(), heaviest.total_rss());
    let n = runs.len();

    let mut table = Table::new(
        "P10 — clocker up: start-up, idle memory, restart after SIGKILL",
        &["", "measured", "target", "met"],
    );
    table.row([
        format!("start-up to `ready`, p50 / max of {n}"),
        format!("{} / {}", duration(startup.p50), duration(startup.max)),
        "≤ 1.5 s (every run)".to_owned(),
        verdict(startup.max <= STARTUP_TARGET).to_owned(),
    ]);
    let answering: usize = runs.iter().map(|run| run.answering_at_ready).sum();
    let services: usize = runs.iter().map(|run| run.services).sum();
    table.row([
        "services answering a health probe right after `ready`".to_owned(),
        format!("{answering} / {services}"),
        String::new(),
        String::new(),
    ]);
    let processes = heaviest.services + 1;
    table.row([
        format!(
            "idle memory, {} services + supervisor, {:?} after `ready`: Pss summed (each page once)",
            heaviest.services, args.settle
        ),
        format!("{} ({:.1} MB)", mib(pss), pss as f64 / 1e6),
        "≤ 100 MB".to_owned(),
        verdict(pss <= MEMORY_TARGET_BYTES).to_owned(),
    ]);
    table.row([
        format!("the same, VmRSS summed (shared pages once per process: {processes}×)"),
        format!("{} ({:.1} MB)", mib(rss), rss as f64 / 1e6),
        String::new(),
        String::new(),
    ]);
    let largest: Vec<String> = heaviest
        .service_memory
        .iter()
        .take(3)
        .map(|(name, memory)| format!("{name} {}", mib(memory.pss)))
        .collect();
    let smallest = heaviest
        .service_memory
        .last()
        .map(|(name, memory)| format!("; smallest: {name} {}", mib(memory.pss)))
        .unwrap_or_default();
    table.row([
        "Pss by process, largest".to_owned(),
        format!(
            "{}{smallest}; supervisor {}",
            largest.join(", "),
            mib(heaviest.supervisor.pss)
        ),
        String::new(),
        String::new(),
    ]);
    let range = |value: fn(&Memory) -> u64| {
        let values = heaviest.processes().map(value);
        let (low, high) = values.fold((u64::MAX, 0), |(low, high), v| (low.min(v), high.max(v)));
        format!("{:.1}–{}", low as f64 / MIB, mib(high))
    };
    table.row([
        "VmRSS of one process; of it, file-backed (RssFile: the `clocker` binary's pages)"
            .to_owned(),
        format!("{}; {}", range(|m| m.rss), range(|m| m.rss_file)),
        String::new(),
        String::new(),
    ]);
    for &service in &args.kill {
        let restart = summary(
            runs.iter()
                .flat_map(|run| &run.restarts)
                .filter(|(name, _)| *name == service)
                .map(|(_, took)| *took),
        );
        table.row([
            format!("SIGKILL → {service} serving again, p50 / max of {n}"),
            format!("{} / {}", duration(restart.p50), duration(restart.max)),
            String::new(),
            String::new(),
        ]);
    }
    let mut connects = Connects::default();
    for run in runs {
        connects.add(run.connects);
    }
    table.row([
        format!(
            "connects refused during a SIGKILL-restart of each of the {} services, all {n} runs",
            args.kill.len()
        ),
        format!(
            "{} of {} ({} failed otherwise)",
            connects.refused,
            connects.made + connects.refused + connects.failed,
            connects.failed
        ),
        "0".to_owned(),
        verdict(connects.refused == 0 && connects.failed == 0).to_owned(),
    ]);
    let clean = runs.iter().filter(|run| run.stopped_cleanly).count();
    let left: usize = runs.iter().map(|run| run.left_running).sum();
    table.row([
        format!("SIGTERM → clocker up exited, p50 / max of {n}"),
        format!(
            "{} / {} ({clean} / {n} with status 0, {left} services left running)",
            duration(stop.p50),
            duration(stop.max)
        ),
        String::new(),
        String::new(),
    ]);
    table.note(format!(
        "{n} runs of `clocker up --ephemeral` (release), each with its own temporary \
         `CLOCKER_RUNTIME_DIR` and `CLOCKER_DATA_DIR` (SQLite), `RUST_LOG=warn`, the binary \
         already built and in the page cache. Start-up: from spawning `clocker up` to its \
         `ready` line, which it prints once every service, started one after another in \
         dependency order, has printed its listening line; right after it, one gRPC health \
         check or `GET /health` to each service. Idle memory: {:?} after `ready`, every pid \
         `clocker ps --json` lists plus the supervisor's own, from `/proc` (the run that held \
         the most; the lightest: {} Pss). All twelve processes run the one `clocker` binary, \
         whose resident code pages (RssFile) every process's VmRSS counts in full, so VmRSS \
         summed counts them twelve times; Pss (`smaps_rollup`) divides each page among the \
         processes that map it, and summed over the fleet counts every page once: the memory \
         the fleet holds (a `clocker` process outside the fleet would take its share of those \
         pages out: {}). Restart: for each of {} in turn, SIGKILL to the pid \
         `clocker ps --json` shows, then, once that process is gone, a probe of the service's \
         own port every {:?} (a fresh connection each: gRPC health, or `GET /health` over \
         HTTP/1.0 for the HTTP services) until one answers; `clocker ps` then has to show a new \
         pid and one more restart. Meanwhile, from just before the SIGKILL until that probe \
         answered, a client connects to the same port one after the other (each closed at \
         once, 1 ms apart) and counts the connects refused. Each service is killed once per run, so every sample is a \
         first restart, after the supervisor's 100 ms backoff. Stop: SIGTERM to `clocker up`, \
         which stops the services in reverse order, until it exits.",
        args.settle,
        mib(lightest),
        match runs.iter().map(|run| run.others).max().unwrap_or(0) {
            0 => "none ran".to_owned(),
            k => format!("up to {k} ran"),
        },
        args.kill
            .iter()
            .map(|name| name.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        args.poll_every,
    ));
    table
}
