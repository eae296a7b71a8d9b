//! The `corekv` server binary.

// Per-request buffers churn; mimalloc's thread-local free lists beat glibc
// malloc here (measured in docs/benchmarks.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let args = corekv_io::config::from_env();
    corekv_io::server::run(args);
}
