//! YAML read from users' files (MLmodel files, model-card front matter), safely: documents
//! with aliases (`*name`) are refused before loading, because the loader copies the anchored
//! node for each and a few lines of nested aliases would grow into gigabytes.

use yaml_rust2::parser::{MarkedEventReceiver, Parser};
use yaml_rust2::scanner::Marker;
use yaml_rust2::{Event, Yaml, YamlLoader};

#[derive(Debug)]
pub enum YamlError {
    /// The text uses aliases.
    Aliases,
    /// The text is not YAML; the message says where.
    Invalid(String),
}

#[derive(Default)]
struct AliasCount(usize);

impl MarkedEventReceiver for AliasCount {
    fn on_event(&mut self, event: Event, _mark: Marker) {
        if matches!(event, Event::Alias(_)) {
            self.0 += 1;
        }
    }
}

/// The documents of `text`.
pub fn load(text: &str) -> Result<Vec<Yaml>, YamlError> {
    let invalid = |e: yaml_rust2::ScanError| YamlError::Invalid(e.to_string());
    let mut aliases = AliasCount::default();
    Parser::new_from_str(text)
        .load(&mut aliases, true)
        .map_err(invalid)?;
    if aliases.0 > 0 {
        return Err(YamlError::Aliases);
    }
    YamlLoader::load_from_str(text).map_err(invalid)
}
