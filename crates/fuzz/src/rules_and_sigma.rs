//! Rule files (YAML or JSON) and Sigma rules: any text is read or refused with an error, never a
//! panic or a stack overflow.
pub fn rules_and_sigma(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = trailscope_detect::parse_rules(text);
    let _ = trailscope_detect::sigma::parse_sigma(text);
}
