fn main() {
    std::process::exit(booking_audit::cli::main());
}
