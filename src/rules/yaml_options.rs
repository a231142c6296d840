/// How rule YAML is read, by the loader and by build.rs (which converts the built-in rules to
/// JSON, so must read them the same way; it includes this file). A plain scalar in a regex
/// position is read by type inference, so it must stay the text it spells: only YAML 1.2
/// booleans (`true`, `false`) are booleans (`email: yes` is the regex `yes`), and `1_000` or
/// `007` stay strings.
pub fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        strict_booleans: true,
        underscored_numbers_as_strings: true,
        leading_zero_numbers_as_strings: true,
    }
}
