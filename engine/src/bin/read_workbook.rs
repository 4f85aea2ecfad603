//! `engine-read-workbook <kind> <path>`: the memory-capped child that reads one workbook (see
//! `engine::ingest::isolate`). The server runs the same code as `dgs read-workbook`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(engine::ingest::isolate::child_main(&args));
}
