fn main() -> anyhow::Result<()> {
    pressfeed::cli::main()
}
