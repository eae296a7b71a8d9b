//! The `corekv` server binary.

fn main() {
    let args = corekv_io::config::from_env();
    corekv_io::server::run(args);
}
