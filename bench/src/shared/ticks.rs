//! CPU of whole server processes, for the small benchmark binaries.

/// utime + stime of every process in `pids`, in clock ticks.
pub fn cpu_ticks(pids: &str) -> u64 {
    pids.split(',')
        .filter(|p| !p.is_empty())
        .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
        .filter_map(|stat| {
            // Fields after the command name (which may hold spaces).
            let rest = stat.rsplit_once(") ")?.1;
            let f: Vec<&str> = rest.split(' ').collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .sum()
}
